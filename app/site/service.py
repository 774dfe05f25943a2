"""Reading the site row."""

from sqlmodel import Session

from app.errors import NotFound
from app.models import Site


def get_site(session: Session) -> Site:
    """The publication's settings; NotFound before the site is set up."""
    site = session.get(Site, 1)
    if site is None:
        raise NotFound("The site is not set up yet: run `byline demo` or create it.")
    return site
