"""/openapi.json and /docs describe every route with its real request shapes."""

from __future__ import annotations

from openapi_spec_validator import validate

from tests.api.test_isolation import route_table

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
        documented = path.replace("{key:path}", "{key}")
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
    assert "app_name" in properties["data"]["contentSchema"]["properties"]
    user = schema["paths"]["/user/create"]["post"]["requestBody"]["content"]["application/json"]
    assert user["schema"]["required"] == ["username", "password"]
    assert "apps" in user["schema"]["properties"]["permissions"]["properties"]


async def test_the_docs_page(client):
    response = await client.get("/docs")
    assert response.status_code == 200 and "swagger" in response.text.lower()
