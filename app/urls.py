"""Where the API lives: its one prefix (`/v1`) and the path of an object under it."""

PREFIX = "/v1"


def api_path(path: str) -> str:
    """`path` (`/articles/art_1`, `/tags`) under the API's prefix."""
    return f"{PREFIX}{path}"


def object_path(collection: str, object_id: str) -> str:
    """Where one object is read: `/v1/<collection>/<id>`."""
    return api_path(f"/{collection}/{object_id}")
