"""Reading the site row."""

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlmodel import Session

from app.editorial import Editor, audit, save_version
from app.errors import NotFound, ValidationFailed
from app.events.outbox import emit_change
from app.models import Site
from app.site.schemas import SiteUpdate, site_out


def get_site(session: Session) -> Site:
    """The publication's settings; NotFound before the site is set up."""
    site = session.get(Site, 1)
    if site is None:
        raise NotFound("The site is not set up yet: run `byline demo` or create it.")
    return site


def update_site(session: Session, who: Editor, *, data: SiteUpdate) -> Site:
    """Change the site (If-Match required), or create it from a first full description."""
    values = data.model_dump(exclude_unset=True)
    if "timezone" in values:
        try:
            ZoneInfo(values["timezone"])
        except (ZoneInfoNotFoundError, ValueError):
            raise ValidationFailed("timezone", f"no time zone {values['timezone']!r}") from None
    site = session.get(Site, 1)
    if site is None:
        for name in ("name", "url", "timezone", "language"):
            if name not in values:
                raise ValidationFailed(name, "required to set the site up")
        session.add(Site(id=1, **values))
        version = 1
    else:
        version = save_version(session, Site, 1, expected=who.expected_version(), values=values)  # type: ignore[arg-type]
    session.flush()
    site = session.get(Site, 1, populate_existing=True)
    assert site is not None
    emit_change(
        session,
        "site.updated",
        resource="site",
        representation=site_out(site),
        fields=list(values),
        keys=["site"],
        subject_id="1",
    )
    audit(
        session,
        who,
        action="site.update",
        resource_type="site",
        resource_id="1",
        version=version,
        fields=sorted(values),
    )
    session.commit()
    return site
