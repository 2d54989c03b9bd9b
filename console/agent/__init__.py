"""The MCP server at /mcp: coding agents list, search, start and steer runs through the same
operator actions as the pages, the API and the commands (console/actions.py)."""
