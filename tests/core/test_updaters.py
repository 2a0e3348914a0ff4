"""Each updater's answer, without a server (spec 7.1, 7.2)."""

from __future__ import annotations

import pytest

from faynosync import updaters
from faynosync.store.models import Updater
from faynosync.updaters import CheckAnswer, FeedAnswer

GENERIC = {
    "critical": False,
    "update_available": True,
    "update_url": "R",
    "update_url_zip": "Z",
    "update_url_yml": "Y",
    "update_url_dmg": "D",
    "signature": "S",
    "changelog": "C\n",
}


def answer(found=True, rollback=False, body=None, latest="2.0") -> CheckAnswer:
    return CheckAnswer(
        found=found,
        possible_rollback=rollback,
        body=dict(GENERIC if body is None else body),
        latest_version=latest,
    )


@pytest.mark.parametrize("name", ["", "manual", "updater not supported", "anything"])
def test_generic(name):
    assert updaters.answer(name, answer()) == FeedAnswer(200, GENERIC)


def test_squirrel_darwin():
    assert updaters.answer("squirrel_darwin", answer()) == FeedAnswer(
        200,
        {
            "critical": False,
            "update_available": True,
            "update_url": "R",
            "signature": "S",
            "changelog": "C\n",
            "url": "Z",
        },
    )
    assert updaters.answer("squirrel_darwin", answer(found=False)).status == 204
    assert updaters.answer("squirrel_darwin", answer(found=False, rollback=True)).status == 200
    no_zip = {"update_available": True, "update_url_dmg": "D"}
    assert updaters.answer("squirrel_darwin", answer(body=no_zip)) == FeedAnswer(204)


def test_squirrel_windows_always_redirects():
    for check in (answer(), answer(found=False), answer(body={"update_available": True})):
        result = updaters.answer("squirrel_windows", check)
        assert result.status == 302
    assert updaters.answer("squirrel_windows", answer()).location == "R"
    assert updaters.answer("squirrel_windows", answer(body={})).location == ""


def test_electron_builder():
    assert updaters.answer("electron-builder", answer()) == FeedAnswer(302, location="Y")
    assert updaters.answer("electron-builder", answer(found=False)) == FeedAnswer(204)
    assert updaters.answer("electron-builder", answer(found=False, rollback=True)).location == "Y"
    only_yaml = {"update_available": True, "update_url_yaml": "A"}
    assert updaters.answer("electron-builder", answer(body=only_yaml)) == FeedAnswer(204)


def test_tauri():
    assert updaters.answer("tauri", answer()) == FeedAnswer(
        200, {"version": "2.0", "notes": "C\n", "url": "R", "signature": "S"}
    )
    body = {"update_available": True, "update_url_zip": "Z", "update_url_gz": "G"}
    assert updaters.answer("tauri", answer(body=body, latest="")) == FeedAnswer(
        200, {"version": "", "url": "Z"}
    )
    assert updaters.answer("tauri", answer(found=False)) == FeedAnswer(204)


def test_sparkle_stub():
    for check in (answer(), answer(found=False)):
        assert updaters.answer("sparkle", check) == FeedAnswer(
            200, {"status": "test_stub", "updater": "sparkle"}
        )


CONFIGURED = [
    Updater("manual", False),
    Updater("squirrel_windows", True),
    Updater("squirrel_darwin", False),
    Updater("electron-builder", False),
]


@pytest.mark.parametrize(
    ("configured", "requested", "resolved"),
    [
        (CONFIGURED, "", "squirrel_windows"),
        (CONFIGURED, "manual", "manual"),
        (CONFIGURED, "squirrel", "squirrel_windows"),
        (CONFIGURED, "squirrel_darwin", "squirrel_darwin"),
        (CONFIGURED, "electron", "updater not supported"),
        (CONFIGURED, "tauri", "updater not supported"),
        ([Updater("manual", False)], "", ""),
        (None, "", ""),
        (None, "manual", "updater not supported"),
    ],
)
def test_resolution(configured, requested, resolved):
    assert updaters.resolve(configured, requested) == resolved
