"""How /search's items are described in /openapi.json."""

from __future__ import annotations

from faynosync.http import openapi as doc

# A version_item, as the API shows it.
VERSION_ITEM = doc.obj(
    {
        "ID": doc.ID,
        "AppName": doc.STRING,
        "Version": doc.STRING,
        "Channel": doc.STRING,
        "Published": doc.BOOLEAN,
        "Critical": doc.BOOLEAN,
        "Intermediate": doc.BOOLEAN,
        "Artifacts": {
            "type": "array",
            "items": doc.obj(
                {
                    "link": doc.STRING,
                    "platform": doc.STRING,
                    "arch": doc.STRING,
                    "package": doc.STRING,
                },
                # API level 2.1
                {"TufTaskID": {"type": ["string", "null"]}, "TufSigned": doc.BOOLEAN},
            ),
        },
        "Changelog": {
            "type": "array",
            "items": doc.obj({"Version": doc.STRING, "Changes": doc.STRING, "Date": doc.STRING}),
        },
        "Updated_at": doc.TIME,
    }
)
