"""Syndication formats: feeds, ninjs, JSON-LD and the news sitemap, built from the public
article JSON so that every format shows exactly what the JSON API shows the same reader."""
