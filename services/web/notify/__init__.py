"""Outbound notifications: an HMAC-signed webhook, SMTP e-mail, WeCom/DingTalk/Feishu
group bots and an SMS gateway, with retries and a dead-letter list."""
