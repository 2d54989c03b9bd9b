"""Django admin for stored events."""

from django.contrib import admin

from .models import Event


@admin.register(Event)
class EventAdmin(admin.ModelAdmin):
    list_display = ["id", "name", "external_id", "received_at"]
    search_fields = ["id", "name", "external_id"]
