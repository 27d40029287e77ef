"""Fast paths for tarfile's header code, byte-identical to it where they apply.

tarfile's pure-Python header handling costs tens of microseconds per member;
a deploy dir has tens of thousands of small files. These cover the common
case (plain ustar fields) and hand everything else (pax records, GNU types,
base-256 numbers, non-ASCII or long names) back to tarfile. Tests check both
directions against tarfile itself.
"""

from __future__ import annotations

import stat
import tarfile
from typing import Self

_MAX_ID = 0o7777777  # what fits a ustar id field
_MAX_NUM = 0o77777777777  # size and mtime fields
_DEV = bytes(16)  # tarfile leaves device fields empty for non-devices
_TAIL = bytes(155 + 12)  # prefix and padding
_MAGICS = (b"ustar\x0000", b"ustar  \x00")
_PLAIN_TYPES = (
    tarfile.REGTYPE,
    tarfile.AREGTYPE,
    tarfile.DIRTYPE,
    tarfile.SYMTYPE,
    tarfile.LNKTYPE,
)


def ustar_header(
    name: str,
    *,
    mode: int,
    uid: int,
    gid: int,
    size: int,
    mtime: int,
    kind: bytes,
    linkname: str,
    uname: str,
    gname: str,
) -> bytes | None:
    """The header ``TarInfo.tobuf(PAX_FORMAT)`` writes, or None when it would
    need pax records. ``name`` is final (directories end with ``/``)."""
    if uid > _MAX_ID or gid > _MAX_ID or size > _MAX_NUM or not 0 <= mtime <= _MAX_NUM:
        return None
    if not (name.isascii() and linkname.isascii() and uname.isascii() and gname.isascii()):
        return None
    raw_name, raw_link = name.encode(), linkname.encode()
    raw_user, raw_group = uname.encode(), gname.encode()
    if len(raw_name) > 100 or len(raw_link) > 100 or len(raw_user) > 32 or len(raw_group) > 32:
        return None
    buf = b"".join(
        (
            raw_name.ljust(100, b"\x00"),
            b"%07o\x00%07o\x00%07o\x00" % (stat.S_IMODE(mode), uid, gid),
            b"%011o\x00%011o\x00" % (size, mtime),
            b"        ",
            kind,
            raw_link.ljust(100, b"\x00"),
            b"ustar\x0000",
            raw_user.ljust(32, b"\x00"),
            raw_group.ljust(32, b"\x00"),
            _DEV,
            _TAIL,
        )
    )
    return b"%s%06o\x00%s" % (buf[:148], sum(buf), buf[155:])


def _num(field: bytes | bytearray) -> int:
    if field[0] & 0x80:
        raise ValueError("base-256 number")
    return int(field.split(b"\x00", 1)[0].strip() or b"0", 8)


def _text(field: bytes | bytearray, encoding: str, errors: str) -> str:
    return field.split(b"\x00", 1)[0].decode(encoding, errors)


class FastTarInfo(tarfile.TarInfo):
    """``TarFile(tarinfo=FastTarInfo)``: parses plain ustar headers itself."""

    @classmethod
    def frombuf(cls, buf: bytes | bytearray, encoding: str, errors: str) -> Self:
        if len(buf) != tarfile.BLOCKSIZE or buf[156:157] not in _PLAIN_TYPES:
            return super().frombuf(buf, encoding, errors)
        if buf[257:265] not in _MAGICS:
            return super().frombuf(buf, encoding, errors)
        try:
            chksum = _num(buf[148:156])
            if chksum != sum(buf) - sum(buf[148:156]) + 256:
                raise ValueError("checksum")  # maybe a signed-char sum: tarfile decides
            numbers = [_num(buf[a:b]) for a, b in ((100, 108), (108, 116), (116, 124), (124, 136))]
            mtime, devmajor, devminor = _num(buf[136:148]), _num(buf[329:337]), _num(buf[337:345])
        except (ValueError, IndexError):
            return super().frombuf(buf, encoding, errors)
        obj = cls()
        obj.name = _text(buf[0:100], encoding, errors)
        obj.mode, obj.uid, obj.gid, obj.size = numbers
        obj.mtime = mtime
        obj.chksum = chksum
        obj.type = bytes(buf[156:157])
        obj.linkname = _text(buf[157:257], encoding, errors)
        obj.uname = _text(buf[265:297], encoding, errors)
        obj.gname = _text(buf[297:329], encoding, errors)
        obj.devmajor, obj.devminor = devmajor, devminor
        prefix = _text(buf[345:500], encoding, errors)
        if obj.type == tarfile.AREGTYPE and obj.name.endswith("/"):
            obj.type = tarfile.DIRTYPE
        if obj.type == tarfile.DIRTYPE:
            obj.name = obj.name.rstrip("/")
        if prefix:
            obj.name = prefix + "/" + obj.name
        return obj
