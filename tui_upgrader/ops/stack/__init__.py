"""The running Compose stack: compose CLI, health gate, and the DockerPort over a real engine."""
