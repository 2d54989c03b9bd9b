"""`manage.py console_user NAME --password P [--operator]`: a console login, read-only unless
--operator (cancel, replay, retry, bulk actions, invoke, send events)."""

from django.contrib.auth.models import Group, Permission, User
from django.core.management.base import BaseCommand, CommandParser

OPERATORS = "operators"


def operators_group() -> Group:
    group, _ = Group.objects.get_or_create(name=OPERATORS)
    permission = Permission.objects.get(codename="operate", content_type__app_label="console")
    group.permissions.add(permission)
    return group


class Command(BaseCommand):
    help = "Create or update a console user; --operator lets them change things."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--password", required=True)
        parser.add_argument("--operator", action="store_true")

    def handle(self, *args: object, **options: object) -> None:
        user, created = User.objects.get_or_create(username=str(options["username"]))
        user.set_password(str(options["password"]))
        user.save()
        group = operators_group()
        if options["operator"]:
            user.groups.add(group)
        else:
            user.groups.remove(group)
        role = "operator" if options["operator"] else "read-only"
        self.stdout.write(f"{'created' if created else 'updated'} {role} user {user.username}")
