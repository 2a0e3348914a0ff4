"""/openapi.json and /docs describe every route with its real request shapes."""

from __future__ import annotations

from openapi_spec_validator import validate

from tests.support.api import route_table

BODIES = {
    ("post", "/signup"): "application/json",
    ("post", "/login"): "application/json",
    ("post", "/admin/update"): "application/json",
    ("post", "/upload"): "multipart/form-data",
    ("post", "/apps/update"): "multipart/form-data",
    ("post", "/artifact/delete"): "multipart/form-data",
    ("post", "/app/create"): "multipart/form-data",
    ("post", "/app/update"): "multipart/form-data",
    ("post", "/user/create"): "application/json",
    ("post", "/user/update"): "application/json",
    ("delete", "/user/delete"): "application/json",
    ("post", "/report-keys/regenerate"): "application/json",
    **{
        ("post", f"/{k}/{op}"): "application/json"
        for k in ("channel", "platform", "arch")
        for op in ("create", "update")
    },
}
PUBLIC = {
    "/health",
    "/checkVersion",
    "/apps/latest",
    "/signup",
    "/login",
    "/update/{owner}/{app}/{channel}/{platform}/{arch}/{version}/RELEASES",
    "/objects/{bucket}/{key}",
    "/velopack/{owner}/{app}/{platform}/{arch}/{feed}",
    "/telemetry/beacon",
}


async def test_the_document_is_valid_and_complete(app, client):
    response = await client.get("/openapi.json")
    assert response.status_code == 200
    schema = response.json()
    validate(schema)
    assert schema["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    for method, path in route_table(app):
        if path in ("/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc"):
            continue
        documented = path.replace("{key:path}", "{key}").replace("{feed:path}", "{feed}")
        operation = schema["paths"][documented][method.lower()]
        assert operation["operationId"]
        body = BODIES.get((method.lower(), path))
        if body:
            assert body in operation["requestBody"]["content"], (method, path)
        if documented not in PUBLIC:
            assert operation.get("security") == [{"bearerAuth": []}], (method, path)


async def test_multipart_routes_describe_data_and_files(client):
    schema = (await client.get("/openapi.json")).json()
    upload = schema["paths"]["/upload"]["post"]["requestBody"]["content"]["multipart/form-data"]
    properties = upload["schema"]["properties"]
    assert properties["file"]["items"]["format"] == "binary"
    assert "app_name" in properties["data"]["properties"]
    assert upload["encoding"]["data"]["contentType"] == "application/json"
    user = schema["paths"]["/user/create"]["post"]["requestBody"]["content"]["application/json"]
    assert user["schema"]["required"] == ["username", "password"]
    assert "apps" in user["schema"]["properties"]["permissions"]["properties"]


async def test_the_docs_page(client):
    response = await client.get("/docs")
    assert response.status_code == 200 and "swagger" in response.text.lower()


def answers(schema: dict, path: str, method: str = "get") -> dict:
    return schema["paths"][path][method]["responses"]


async def test_every_answer_has_its_body_and_no_422(client):
    """Errors are 400s here (never FastAPI's 422); every JSON answer names its schema."""
    schema = (await client.get("/openapi.json")).json()
    assert "HTTPValidationError" not in schema["components"]["schemas"]
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            responses = operation["responses"]
            assert "422" not in responses, (method, path)
            for status, answer in responses.items():
                for media, body in answer.get("content", {}).items():
                    assert ";" not in media, (method, path, status)
                    if media == "application/json":
                        assert body["schema"] not in ({}, {"type": "string"}), (path, status)
    error = schema["components"]["schemas"]["Error"]
    assert error["required"] == ["error"] and error["additionalProperties"] is False
    created = answers(schema, "/channel/create", "post")["500"]
    assert created["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Error"
    }
    assert "channel with this name already exists" in created["description"]


async def test_the_answers_beyond_success(client):
    schema = (await client.get("/openapi.json")).json()
    objects = answers(schema, "/objects/{bucket}/{key}")
    assert {"200", "206", "400", "403", "404", "416"} <= set(objects)
    assert "text/plain" in objects["404"]["content"]
    releases = answers(
        schema, "/update/{owner}/{app}/{channel}/{platform}/{arch}/{version}/RELEASES"
    )
    assert {"200", "302", "304", "400"} <= set(releases)
    assert "Location" in releases["302"]["headers"]
    assert {"200", "302", "304", "400", "404", "500"} == set(answers(schema, "/apps/latest"))
    assert {"200", "204", "302", "304", "400"} == set(answers(schema, "/checkVersion"))


async def test_signup_and_login_document_their_text_400(client):
    schema = (await client.get("/openapi.json")).json()
    for path in ("/signup", "/login"):
        operation = schema["paths"][path]["post"]
        plain = operation["responses"]["400"]["content"]["text/plain"]
        assert plain["example"] == '{"error":"invalid request body"}'
        assert "`text/plain`" in operation["description"]
        assert "on purpose" in operation["description"]
        response = await client.post(path, content=b"")
        assert (response.status_code, response.text) == (400, plain["example"])
        assert response.headers["content-type"] == "text/plain; charset=utf-8"


async def test_public_downloads_document_their_redirect(client_factory):
    async with client_factory(ENABLE_PRIVATE_APP_DOWNLOADING="true") as client:
        schema = (await client.get("/openapi.json")).json()
    download = schema["paths"]["/download"]["get"]
    assert "security" not in download
    assert {"200", "302", "400", "500"} == set(download["responses"])
