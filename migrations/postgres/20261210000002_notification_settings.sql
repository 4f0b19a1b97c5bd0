-- How each user hears of the outbox's events (ADR 0010): the language of their messages,
-- the Telegram chat they linked, and their channels per event type (JSON; NULL: the
-- defaults, `domain::NotificationChannels::defaults`).

ALTER TABLE users ADD COLUMN language TEXT NOT NULL DEFAULT 'fr' CHECK (language IN ('fr', 'en'));
ALTER TABLE users ADD COLUMN telegram_chat_id TEXT;
ALTER TABLE users ADD COLUMN notification_channels TEXT;
