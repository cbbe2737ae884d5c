"""The web console: queue, case page, dashboard, export and access log for commissions and
the central committee (Starlette, Jinja2 under templates/web/, htmx served from web/static/)."""
