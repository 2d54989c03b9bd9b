"""The console's pages: one module per page family (runs, bulk actions, functions and apps,
events, audit log), rendered from templates/; URLs in console/urls.py."""
