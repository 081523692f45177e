"""Read recorded ESC/POS bytes the way a person reads the paper.

``decode(data)`` gives the lines of text (with size, bold, alignment, inversion), the raster
images (``GS v 0`` decoded to PIL images), the cuts and the status queries; ``render_png``
draws the ticket so a human can look at it. ``command_length`` is the tokenizer the virtual
printer also uses to find real-time queries without mistaking image bytes for commands.
"""
from __future__ import annotations

from dataclasses import dataclass, field

ESC, GS, DLE, FS = 0x1B, 0x1D, 0x10, 0x1C
LF, CR, HT, FF = 0x0A, 0x0D, 0x09, 0x0C

# Fixed total lengths (prefix included) of commands with no variable payload.
_ESC_FIXED = {**dict.fromkeys(b"@<LSFijim2", 2), **dict.fromkeys(b"!-EGJMRUVadtTr{ 3%?=K", 3),
              **dict.fromkeys(b"$\\B", 4), ord("p"): 5, ord("W"): 10}
_GS_FIXED = {**dict.fromkeys(b"!BHIabfhrwTE", 3), **dict.fromkeys(b"LPW$\\", 4),
             ord("^"): 5, ord(":"): 2}
DOTS = {"58mm": 384, "80mm": 576}


def command_length(buf: bytes, i: int) -> int | None:
    """Bytes taken by the command or character at ``buf[i]``; None if ``buf`` ends inside it."""
    b = buf[i]
    need = 1
    if b == ESC:
        need = _esc_length(buf, i)
    elif b == GS:
        need = _gs_length(buf, i)
    elif b == DLE:
        need = _dle_length(buf, i)
    elif b == FS:
        need = _fs_length(buf, i)
    if need is None or i + need > len(buf):
        return None
    return need


def _byte(buf: bytes, i: int) -> int | None:
    return buf[i] if i < len(buf) else None


def _le(buf: bytes, i: int, n: int) -> int | None:
    if i + n > len(buf):
        return None
    return int.from_bytes(buf[i:i + n], "little")


def _esc_length(buf: bytes, i: int) -> int | None:
    c = _byte(buf, i + 1)
    if c is None:
        return None
    if c == ord("*"):                      # ESC * m nL nH d1..dk (column bit image)
        m, n = _byte(buf, i + 2), _le(buf, i + 3, 2)
        return None if m is None or n is None else 5 + n * (1 if m in (0, 1) else 3)
    if c == ord("("):                      # ESC ( fn pL pH ...
        n = _le(buf, i + 3, 2)
        return None if n is None else 5 + n
    if c == ord("c"):                      # ESC c 3/4/5 n
        return 4
    if c == ord("D"):                      # ESC D n1 .. NUL (tab stops)
        end = buf.find(b"\x00", i + 2)
        return None if end < 0 else end - i + 1
    if c == ord("&"):                      # ESC & y c1 c2 [x d1..d(y*x)]... (user characters)
        return _user_chars_length(buf, i)
    return _ESC_FIXED.get(c, 2)


def _user_chars_length(buf: bytes, i: int) -> int | None:
    y, c1, c2 = _byte(buf, i + 2), _byte(buf, i + 3), _byte(buf, i + 4)
    if c2 is None:
        return None
    pos = i + 5
    for _ in range(max(0, c2 - c1 + 1)):
        x = _byte(buf, pos)
        if x is None:
            return None
        pos += 1 + y * x
    return pos - i


def _gs_length(buf: bytes, i: int) -> int | None:
    c = _byte(buf, i + 1)
    if c is None:
        return None
    if c == ord("v"):                      # GS v 0 m xL xH yL yH data
        x, y = _le(buf, i + 4, 2), _le(buf, i + 6, 2)
        return None if x is None or y is None else 8 + x * y
    if c == ord("("):                      # GS ( k/L/A/... pL pH data
        n = _le(buf, i + 3, 2)
        return None if n is None else 5 + n
    if c == ord("8"):                      # GS 8 L p1..p4 data
        n = _le(buf, i + 3, 4)
        return None if n is None else 7 + n
    if c == ord("V"):                      # GS V m [n]
        m = _byte(buf, i + 2)
        return None if m is None else (4 if m >= 65 else 3)
    if c == ord("k"):                      # GS k m ... barcode
        m = _byte(buf, i + 2)
        if m is None:
            return None
        if m <= 6:
            end = buf.find(b"\x00", i + 3)
            return None if end < 0 else end - i + 1
        n = _byte(buf, i + 3)
        return None if n is None else 4 + n
    return _GS_FIXED.get(c, 2)


def _dle_length(buf: bytes, i: int) -> int | None:
    c = _byte(buf, i + 1)
    if c is None:
        return None
    if c in (0x04, 0x05):                  # DLE EOT n, DLE ENQ n
        return 3
    if c == 0x14:                          # DLE DC4 fn a b
        return 5
    return 1                               # a lone DLE is just a byte


def _fs_length(buf: bytes, i: int) -> int | None:
    c = _byte(buf, i + 1)
    if c is None:
        return None
    if c == ord("p"):                      # FS p n m (NV image)
        return 4
    if c == ord("("):
        n = _le(buf, i + 3, 2)
        return None if n is None else 5 + n
    return 3 if c in b"!-CSW" else 2


# ---- decoding to what is on paper -------------------------------------------------------
@dataclass
class Line:
    text: str
    width: int = 1          # character width multiplier
    height: int = 1
    bold: bool = False
    invert: bool = False
    align: str = "left"


@dataclass
class Image:
    image: object           # PIL.Image.Image, mode "1", black = printed
    align: str = "left"


@dataclass
class Receipt:
    items: list = field(default_factory=list)      # Line, Image and "feed" markers in order
    cuts: int = 0
    queries: list = field(default_factory=list)    # DLE EOT n values seen
    unknown: list = field(default_factory=list)    # commands we do not interpret

    @property
    def lines(self) -> list[Line]:
        return [x for x in self.items if isinstance(x, Line)]

    @property
    def images(self) -> list[Image]:
        return [x for x in self.items if isinstance(x, Image)]

    @property
    def cut(self) -> bool:
        return self.cuts > 0

    def text(self) -> str:
        """What a person reads, one printed line per line (images shown as [IMAGE])."""
        out = []
        for x in self.items:
            out.append(x.text if isinstance(x, Line) else
                       f"[IMAGE {x.image.width}x{x.image.height}]" if isinstance(x, Image) else "")
        return "\n".join(out) + ("\n[CUT]" if self.cut else "")


@dataclass
class _Style:
    width: int = 1
    height: int = 1
    bold: bool = False
    invert: bool = False
    align: str = "left"


def decode(data: bytes) -> Receipt:
    """Interpret ESC/POS bytes; a truncated trailing command is ignored."""
    r, st, text, i = Receipt(), _Style(), bytearray(), 0
    while i < len(data):
        n = command_length(data, i)
        if n is None:
            break
        cmd = data[i:i + n]
        i += n
        if n == 1 and cmd[0] >= 0x20:
            text += cmd
        elif cmd[0] in (LF, FF):
            r.items.append(_line(text, st))
            text.clear()
        elif cmd[0] in (ESC, GS, DLE):
            _apply(cmd, st, r, text)
    if text:
        r.items.append(_line(text, st))
    return r


def _line(text: bytearray, st: _Style) -> Line:
    return Line(text.decode("cp437", "replace"), st.width, st.height, st.bold, st.invert,
                st.align)


def _apply(cmd: bytes, st: _Style, r: Receipt, text: bytearray) -> None:
    op, arg = cmd[:2], (cmd[2] if len(cmd) > 2 else 0)
    if op == b"\x1b@":
        st.__init__()
    elif op == b"\x1b!":                   # print mode: size bits 4/5, emphasis bit 3
        st.height, st.width, st.bold = 1 + (arg >> 4 & 1), 1 + (arg >> 5 & 1), bool(arg & 8)
    elif op == b"\x1d!":
        st.width, st.height = (arg >> 4) + 1, (arg & 0x0F) + 1
    elif op in (b"\x1bE", b"\x1bG"):
        st.bold = bool(arg & 1)
    elif op == b"\x1ba":
        st.align = ("left", "center", "right")[arg % 48 % 3]
    elif op == b"\x1dB":
        st.invert = bool(arg & 1)
    elif op == b"\x1bd":                   # print and feed n lines
        if text:
            r.items.append(_line(text, st))
            text.clear()
        r.items.extend(["feed"] * arg)
    elif op == b"\x1dV":
        r.cuts += 1
    elif op == b"\x1dv":
        r.items.append(Image(raster_image(cmd), st.align))
    elif op == b"\x10\x04":
        r.queries.append(arg)
    elif op[0] == ESC and chr(op[1]) in "-MtR23J{V c$\\p":
        pass                               # layout details that do not change what is read
    else:
        r.unknown.append(cmd[:8])


def raster_image(cmd: bytes):
    """``GS v 0 m xL xH yL yH d...`` -> a PIL image (mode "1", printed dots black)."""
    from PIL import Image as PILImage, ImageOps
    xbytes, height = int.from_bytes(cmd[4:6], "little"), int.from_bytes(cmd[6:8], "little")
    img = PILImage.frombytes("1", (xbytes * 8, height), bytes(cmd[8:8 + xbytes * height]))
    return ImageOps.invert(img.convert("L")).convert("1")   # raster 1 = dot printed


# ---- drawing -----------------------------------------------------------------------------
CELL_W, CELL_H, LINE_GAP, MARGIN = 12, 24, 6, 16
FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf"
FONT_BOLD = "/usr/share/fonts/truetype/dejavu/DejaVuSansMono-Bold.ttf"


def render_png(data: bytes, path, paper: str = "80mm") -> object:
    """Draw the ticket as the printer would (font A cells of 12x24 dots); returns the image."""
    from PIL import Image as PILImage
    dots = DOTS[paper]
    receipt = decode(data)
    strips = [_strip(x, dots) for x in receipt.items]
    height = sum(s.height for s in strips) + 2 * MARGIN
    page = PILImage.new("L", (dots + 2 * MARGIN, max(height, 2 * MARGIN + 1)), 255)
    y = MARGIN
    for s in strips:
        page.paste(s, (MARGIN, y))
        y += s.height
    if receipt.cut:
        for x in range(0, page.width, 12):      # dashed cut line at the bottom
            page.paste(0, (x, page.height - 3, x + 6, page.height - 1))
    page.save(path)
    return page


def _strip(item, dots: int):
    """One printed row (a text line, an image, or a blank feed line) as a grey image."""
    from PIL import Image as PILImage, ImageDraw, ImageFont
    if isinstance(item, Image):
        img = item.image.convert("L").crop((0, 0, min(item.image.width, dots), item.image.height))
        row = PILImage.new("L", (dots, img.height), 255)
        row.paste(img, (_x(item.align, img.width, dots), 0))
        return row
    if not isinstance(item, Line):
        return PILImage.new("L", (dots, CELL_H + LINE_GAP), 255)
    text = item.text
    base = PILImage.new("L", (max(1, len(text)) * CELL_W, CELL_H), 0 if item.invert else 255)
    try:
        font = ImageFont.truetype(FONT_BOLD if item.bold else FONT, 20)
    except OSError:
        font = ImageFont.load_default()
    draw = ImageDraw.Draw(base)
    for col, ch in enumerate(text):           # one cell per character, as the printer does
        draw.text((col * CELL_W, 1), ch, fill=255 if item.invert else 0, font=font)
    scaled = base.resize((base.width * item.width, CELL_H * item.height), PILImage.NEAREST)
    row = PILImage.new("L", (dots, CELL_H * item.height + LINE_GAP), 255)
    row.paste(scaled.crop((0, 0, min(scaled.width, dots), scaled.height)),
              (_x(item.align, min(scaled.width, dots), dots), 0))
    return row


def _x(align: str, width: int, dots: int) -> int:
    return {"center": (dots - width) // 2, "right": dots - width}.get(align, 0)


def line_overflows(receipt: Receipt, columns: int) -> list[Line]:
    """Lines wider than the paper: characters times width multiplier above ``columns``."""
    return [ln for ln in receipt.lines if len(ln.text) * ln.width > columns]
