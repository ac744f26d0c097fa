-- migrate:up

-- body_html is the message's Markdown (body) rendered and sanitized once, when it is
-- posted, so that showing a thread of hundreds of messages costs no Markdown work.
-- body stays the source of truth: a change of the rendering or of the sanitizer's
-- policy renders every body again. An empty body_html means not rendered yet; the
-- portal then renders the body when it shows the message.
ALTER TABLE message ADD COLUMN body_html text NOT NULL DEFAULT '';

-- migrate:down
ALTER TABLE message DROP COLUMN body_html;
