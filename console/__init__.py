"""The console: every surface (pages, APIs, commands, websockets), the operator actions they
call, the audit log those actions write, and who may see and change what (access.py)."""
