"""Old addresses of imported stories, for a frontend or CDN to redirect from."""
