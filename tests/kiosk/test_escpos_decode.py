from pathlib import Path

import pytest
from escpos.printer import Dummy
from PIL import Image, ImageChops, ImageDraw

from kiosk.escpos_decode import command_length, decode, render_png
from kiosk.ticket import render_ticket

from .conftest import make_view, read_qr

SHOWCASE = Path("/tmp/antrean-tickets")


def _image_with(pattern: bytes) -> Image.Image:
    """A 16x8 picture whose raster bytes are ``pattern`` repeated (printed dots = 1 bits)."""
    raster = (pattern * 16)[:16]
    img = Image.frombytes("1", (16, 8), bytes(255 - b for b in raster))
    return img


def test_raster_image_round_trips():
    img = Image.new("1", (40, 20), 1)
    ImageDraw.Draw(img).rectangle((3, 2, 20, 15), fill=0)
    p = Dummy(profile="TM-T20II")
    p.image(img)
    [out] = decode(p.output).images
    assert out.image.size == (40, 20)
    assert ImageChops.difference(out.image.convert("L"), img.convert("L")).getbbox() is None


def test_status_bytes_inside_image_data_are_not_queries():
    p = Dummy(profile="TM-T20II")
    p.image(_image_with(b"\x10\x04\x01\x1dV"))
    data = p.output + b"\x10\x04\x04"
    receipt = decode(data)
    assert receipt.queries == [4]
    assert receipt.cuts == 0 and len(receipt.images) == 1


def test_truncated_command_waits_for_more_bytes():
    p = Dummy(profile="TM-T20II")
    p.image(_image_with(b"\xaa"))
    assert command_length(p.output, 0) == len(p.output)
    assert command_length(p.output[:-1], 0) is None
    assert command_length(b"\x1d", 0) is None
    assert decode(b"Halo\n" + p.output[:-3]).lines[0].text == "Halo"


def test_text_styles_are_tracked():
    p = Dummy(profile="TM-T20II")
    p.set(align="right", bold=True, double_width=True, double_height=True)
    p.textln("BESAR")
    p.set(normal_textsize=True, bold=False, align="left", invert=True)
    p.textln("biasa")
    big, small = decode(p.output).lines
    assert (big.text, big.width, big.height, big.bold, big.align) == ("BESAR", 2, 2, True,
                                                                      "right")
    assert (small.width, small.height, small.bold, small.invert) == (1, 1, False, True)


@pytest.mark.parametrize("paper, dots", [("58mm", 384), ("80mm", 576)])
def test_rendered_ticket_png_shows_number_and_qr(paper, dots):
    SHOWCASE.mkdir(parents=True, exist_ok=True)
    path = SHOWCASE / f"ticket-{paper}.png"
    data = render_ticket(make_view(priority="elderly"), paper)
    page = render_png(data, path, paper)
    with Image.open(path) as saved:
        assert saved.size == page.size and page.width == dots + 32
    # The big number's row is mostly ink compared with a normal text row.
    gray = page.convert("L")
    inked = [sum(1 for x in range(gray.width) if gray.getpixel((x, y)) < 128)
             for y in range(gray.height)]
    assert max(inked) > dots // 4
    payload = read_qr(path)
    assert payload == "tkt-20261123-KTP-012"


def test_text_shows_cut():
    assert decode(b"Halo\n\x1dV\x00").text() == "Halo\n[CUT]"
