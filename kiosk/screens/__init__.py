"""The kiosk screens: one .kv file per screen (package only so the .kv files ship)."""
