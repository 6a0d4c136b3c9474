"""The hosted Web SDK page that `launchUrl` opens (source=WEB_SDK)."""
