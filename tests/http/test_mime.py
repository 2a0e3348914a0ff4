"""Content-Disposition parsing as Go's mime.ParseMediaType does it (cases from its tests)."""

from __future__ import annotations

import pytest

from faynosync.http.mime import MediaTypeError, parse_media_type


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ('form-data; name="file"; filename="a.dmg"', {"name": "file", "filename": "a.dmg"}),
        ("Form-Data; NAME=file; FileName=a.dmg", {"name": "file", "filename": "a.dmg"}),
        (
            "form-data; name=file; filename*=UTF-8''%E2%82%AC%20a.dmg",
            {"name": "file", "filename": "€ a.dmg"},
        ),
        # RFC 2231 wins over the plain parameter, whatever the order.
        ("form-data; filename*=utf-8''b.dmg; filename=a.dmg", {"filename": "b.dmg"}),
        ("form-data; filename=a.dmg; filename*=us-ascii'en'b.dmg", {"filename": "b.dmg"}),
        # Other charsets and bad escapes are ignored, the plain value stays.
        ("form-data; filename=a.dmg; filename*=iso-8859-1''%A3.dmg", {"filename": "a.dmg"}),
        ("form-data; filename=a.dmg; filename*=UTF-8''%ZZ.dmg", {"filename": "a.dmg"}),
        ("form-data; filename*=UTF-8'%E2.dmg", {}),
        # Continuations.
        ('form-data; filename*0="a"; filename*1="b.dmg"', {"filename": "ab.dmg"}),
        ("form-data; filename*0*=UTF-8''%E2%82%AC; filename*1*=%20x.dmg", {"filename": "€ x.dmg"}),
        ('form-data; filename*1="b"; filename*0="a"; filename*3="d"', {"filename": "ab"}),
        # Quoted strings: escapes of special characters, other backslashes kept (MSIE paths).
        ('form-data; filename="a\\"b.dmg"', {"filename": 'a"b.dmg'}),
        ('form-data; filename="C:\\dev\\a.dmg"', {"filename": "C:\\dev\\a.dmg"}),
        ('form-data; filename="a;b=c.dmg"', {"filename": "a;b=c.dmg"}),
        ('form-data; name="x";', {"name": "x"}),
        ('form-data; name="x"; name="x"', {"name": "x"}),
        ("attachment; filename=a.dmg", {"filename": "a.dmg"}),
    ],
)
def test_parameters(header, expected):
    assert parse_media_type(header)[1] == expected


def test_the_media_type_is_lower_cased():
    assert parse_media_type(" Form-Data ; name=a")[0] == "form-data"
    assert parse_media_type("multipart/Form-Data; boundary=x") == (
        "multipart/form-data",
        {"boundary": "x"},
    )


@pytest.mark.parametrize(
    "header",
    [
        "",
        "; name=a",
        "form data; name=a",
        "form-data/; name=a",
        'form-data; name="a"; name="b"',
        'form-data; filename="unterminated',
        "form-data; name",
        "form-data; name=",
        "form-data; =a",
        'form-data; filename="a\rb"',
        "form-data; name=a b",
    ],
)
def test_errors(header):
    with pytest.raises(MediaTypeError):
        parse_media_type(header)
