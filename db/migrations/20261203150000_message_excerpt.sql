-- migrate:up

-- excerpt is the message's first words as plain text, without its Markdown, made once
-- when it is posted (like body_html), so that the thread list shows the last message
-- of fifty threads without parsing fifty bodies. An empty excerpt means not made yet;
-- the portal then makes it from the body when it shows the list.
ALTER TABLE message ADD COLUMN excerpt text NOT NULL DEFAULT '';

-- migrate:down
ALTER TABLE message DROP COLUMN excerpt;
