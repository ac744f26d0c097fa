\restrict dbmate

-- Dumped from database version 15.20 (Debian 15.20-0+deb12u1)
-- Dumped by pg_dump version 15.20 (Debian 15.20-0+deb12u1)

SET statement_timeout = 0;
SET lock_timeout = 0;
SET idle_in_transaction_session_timeout = 0;
SET client_encoding = 'UTF8';
SET standard_conforming_strings = on;
SELECT pg_catalog.set_config('search_path', '', false);
SET check_function_bodies = false;
SET xmloption = content;
SET client_min_messages = warning;
SET row_security = off;

--
-- Name: activity_actor_name(); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.activity_actor_name() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    NEW.actor_name := coalesce(
        (SELECT u.name FROM app_user u WHERE u.id = NEW.actor_id), '');
    RETURN NEW;
END
$$;


--
-- Name: activity_list_terms(); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.activity_list_terms() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
DECLARE
    word record;
    cut_at timestamptz;
    cut_id bigint;
BEGIN
    INSERT INTO activity_term (org_id, term, created_at, activity_id)
    SELECT a.org_id, w.term, a.created_at, a.id
    FROM added a, unnest(activity_terms(a.summary || E'\n' || a.actor_name)) w (term)
    WHERE NOT EXISTS (SELECT 1 FROM activity_common_term c
                      WHERE c.org_id = a.org_id AND c.term = w.term
                        AND (c.listed_from_at, c.listed_from_id) > (a.created_at, a.id));

    FOR word IN
        SELECT DISTINCT a.org_id, t.term
        FROM added a, unnest(activity_terms(a.summary || E'\n' || a.actor_name)) t (term)
        WHERE a.id % 256 = 0
        ORDER BY a.org_id, t.term
    LOOP
        SELECT t.created_at, t.activity_id INTO cut_at, cut_id
        FROM activity_term t
        WHERE t.org_id = word.org_id AND t.term = word.term
        ORDER BY t.created_at DESC, t.activity_id DESC
        OFFSET 4999 LIMIT 1;
        CONTINUE WHEN NOT FOUND;

        INSERT INTO activity_common_term (org_id, term) VALUES (word.org_id, word.term)
        ON CONFLICT DO NOTHING;
        UPDATE activity_common_term c SET listed_from_at = cut_at, listed_from_id = cut_id
        WHERE c.org_id = word.org_id AND c.term = word.term
          AND (c.listed_from_at IS NULL
               OR (c.listed_from_at, c.listed_from_id) < (cut_at, cut_id));
        SELECT c.listed_from_at, c.listed_from_id INTO cut_at, cut_id
        FROM activity_common_term c
        WHERE c.org_id = word.org_id AND c.term = word.term;

        DELETE FROM activity_term t
        WHERE t.org_id = word.org_id AND t.term = word.term
          AND (t.created_at, t.activity_id) < (cut_at, cut_id);
    END LOOP;
    RETURN NULL;
END
$$;


--
-- Name: activity_relist_terms(); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.activity_relist_terms() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    DELETE FROM activity_term t
    USING unnest(activity_terms(OLD.summary || E'\n' || OLD.actor_name)) w (term)
    WHERE t.org_id = OLD.org_id AND t.term = w.term AND t.created_at = OLD.created_at
      AND t.activity_id = OLD.id;
    INSERT INTO activity_term (org_id, term, created_at, activity_id)
    SELECT NEW.org_id, w.term, NEW.created_at, NEW.id
    FROM unnest(activity_terms(NEW.summary || E'\n' || NEW.actor_name)) w (term);
    RETURN NULL;
END
$$;


--
-- Name: activity_search_pattern(text); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.activity_search_pattern(q text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$
    SELECT coalesce('^' || string_agg('(?=.*(?:^|[^[:alnum:]])' || w || ')', '' ORDER BY w),
                    '')
    FROM unnest(activity_terms(q)) w
$$;


--
-- Name: activity_search_term(text); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.activity_search_term(q text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$
    SELECT coalesce((SELECT w FROM unnest(activity_terms(q)) w
                     ORDER BY length(w) DESC, w LIMIT 1), '')
$$;


--
-- Name: activity_terms(text); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.activity_terms(t text) RETURNS text[]
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$
    SELECT coalesce(array_agg(DISTINCT left(w, 40) ORDER BY left(w, 40)), '{}')
    FROM regexp_split_to_table(lower(t), '[^[:alnum:]]+') w
    WHERE w <> ''
$$;


--
-- Name: activity_unlist_terms(); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.activity_unlist_terms() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    DELETE FROM activity_term t
    USING removed r, unnest(activity_terms(r.summary || E'\n' || r.actor_name)) w (term)
    WHERE t.org_id = r.org_id AND t.term = w.term AND t.created_at = r.created_at
      AND t.activity_id = r.id;
    RETURN NULL;
END
$$;


--
-- Name: actor_may_act(); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.actor_may_act() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
DECLARE
    actor uuid := (to_jsonb(NEW) ->> TG_ARGV[0])::uuid;
BEGIN
    IF actor IS NULL THEN
        RETURN NEW;
    END IF;
    IF NOT EXISTS (
        SELECT 1 FROM app_user u JOIN organization o ON o.id = u.org_id
        WHERE u.id = actor AND (u.org_id = NEW.org_id OR o.is_staff)
    ) THEN
        RAISE EXCEPTION '% % may not act in organization %', TG_ARGV[0], actor, NEW.org_id
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    RETURN NEW;
END
$$;


--
-- Name: app_invitation_token_hash(); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.app_invitation_token_hash() RETURNS bytea
    LANGUAGE sql STABLE
    AS $$ SELECT decode(NULLIF(current_setting('app.invitation_token_hash', true), ''), 'hex') $$;


--
-- Name: app_org_id(); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.app_org_id() RETURNS uuid
    LANGUAGE sql STABLE
    AS $$ SELECT NULLIF(current_setting('app.org_id', true), '')::uuid $$;


--
-- Name: app_reset_token_hash(); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.app_reset_token_hash() RETURNS bytea
    LANGUAGE sql STABLE
    AS $$ SELECT decode(NULLIF(current_setting('app.reset_token_hash', true), ''), 'hex') $$;


--
-- Name: app_signin_email(); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.app_signin_email() RETURNS text
    LANGUAGE sql STABLE
    AS $$ SELECT NULLIF(current_setting('app.signin_email', true), '') $$;


--
-- Name: app_user_role_fits_org(); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.app_user_role_fits_org() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    IF (NEW.role = 'jusb_admin') IS DISTINCT FROM
       (SELECT o.is_staff FROM organization o WHERE o.id = NEW.org_id) THEN
        RAISE EXCEPTION 'role % does not fit organization %', NEW.role, NEW.org_id
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END
$$;


--
-- Name: file_usage_count(); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.file_usage_count() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
DECLARE
    org uuid;
    d_bytes bigint := 0;
    d_files integer := 0;
    now_bytes bigint;
    now_files integer;
    max_bytes bigint := nullif(current_setting('app.file_quota_bytes', true), '')::bigint;
    max_files integer := nullif(current_setting('app.file_quota_files', true), '')::integer;
BEGIN
    IF TG_OP = 'INSERT' THEN
        org := NEW.org_id;
        IF NEW.deleted_at IS NULL THEN
            d_bytes := NEW.size;
            d_files := 1;
        END IF;
    ELSIF TG_OP = 'UPDATE' THEN
        org := NEW.org_id;
        IF OLD.deleted_at IS NULL AND NEW.deleted_at IS NOT NULL THEN
            d_bytes := -OLD.size;
            d_files := -1;
        ELSIF OLD.deleted_at IS NOT NULL AND NEW.deleted_at IS NULL THEN
            d_bytes := NEW.size;
            d_files := 1;
        END IF;
    ELSIF OLD.deleted_at IS NULL THEN -- DELETE of a live file
        org := OLD.org_id;
        d_bytes := -OLD.size;
        d_files := -1;
    END IF;
    IF d_files = 0 THEN
        RETURN NULL;
    END IF;

    IF d_files < 0 THEN
        -- A file going: its organization's row is there (its insert made it), unless
        -- the organization itself is being deleted.
        UPDATE file_usage SET bytes = bytes + d_bytes, files = files + d_files
        WHERE org_id = org;
        RETURN NULL;
    END IF;
    INSERT INTO file_usage AS u (org_id, bytes, files) VALUES (org, d_bytes, d_files)
    ON CONFLICT (org_id) DO UPDATE
        SET bytes = u.bytes + d_bytes, files = u.files + d_files
    RETURNING u.bytes, u.files INTO now_bytes, now_files;

    IF now_bytes > max_bytes OR now_files > max_files THEN
        RAISE EXCEPTION 'the organization''s files would take % bytes in % files', now_bytes,
            now_files
            USING ERRCODE = 'configuration_limit_exceeded',
                  DETAIL = format('quota: %s bytes, %s files', max_bytes, max_files);
    END IF;
    RETURN NULL;
END
$$;


--
-- Name: outbox_notify(); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.outbox_notify() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    PERFORM pg_notify('outbox', '');
    RETURN NULL;
END
$$;


SET default_tablespace = '';

SET default_table_access_method = heap;

--
-- Name: activity; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.activity (
    id bigint NOT NULL,
    org_id uuid NOT NULL,
    actor_id uuid,
    action text NOT NULL,
    target_type text NOT NULL,
    target_id uuid,
    summary text DEFAULT ''::text NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    actor_name text DEFAULT ''::text NOT NULL,
    CONSTRAINT activity_action_check CHECK ((action ~ '^[a-z_]+\.[a-z_]+$'::text)),
    CONSTRAINT activity_summary_check CHECK ((char_length(summary) <= 500)),
    CONSTRAINT activity_target_type_check CHECK ((target_type ~ '^[a-z_]+$'::text))
);

ALTER TABLE ONLY public.activity FORCE ROW LEVEL SECURITY;


--
-- Name: activity_common_term; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.activity_common_term (
    org_id uuid NOT NULL,
    term text NOT NULL COLLATE pg_catalog."C",
    listed_from_at timestamp with time zone,
    listed_from_id bigint
);

ALTER TABLE ONLY public.activity_common_term FORCE ROW LEVEL SECURITY;


--
-- Name: activity_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

ALTER TABLE public.activity ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME public.activity_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);


--
-- Name: activity_term; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.activity_term (
    org_id uuid NOT NULL,
    term text NOT NULL COLLATE pg_catalog."C",
    created_at timestamp with time zone NOT NULL,
    activity_id bigint NOT NULL
);

ALTER TABLE ONLY public.activity_term FORCE ROW LEVEL SECURITY;


--
-- Name: app_user; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.app_user (
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    org_id uuid NOT NULL,
    email text NOT NULL,
    name text NOT NULL,
    password_hash text NOT NULL,
    role text NOT NULL,
    is_active boolean DEFAULT true NOT NULL,
    session_version integer DEFAULT 1 NOT NULL,
    last_sign_in_at timestamp with time zone,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT app_user_email_check CHECK (((email = lower(email)) AND ((char_length(email) >= 3) AND (char_length(email) <= 254)) AND (email ~~ '_%@_%'::text))),
    CONSTRAINT app_user_name_check CHECK (((char_length(name) >= 1) AND (char_length(name) <= 200))),
    CONSTRAINT app_user_role_check CHECK ((role = ANY (ARRAY['client'::text, 'client_admin'::text, 'jusb_admin'::text])))
);

ALTER TABLE ONLY public.app_user FORCE ROW LEVEL SECURITY;


--
-- Name: file; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.file (
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    org_id uuid NOT NULL,
    uploader_id uuid NOT NULL,
    filename text NOT NULL,
    storage_key text NOT NULL,
    mime text NOT NULL,
    size bigint NOT NULL,
    sha256 bytea NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    deleted_at timestamp with time zone,
    CONSTRAINT file_filename_check CHECK (((char_length(filename) >= 1) AND (char_length(filename) <= 255))),
    CONSTRAINT file_sha256_check CHECK ((length(sha256) = 32)),
    CONSTRAINT file_size_check CHECK ((size >= 0))
);

ALTER TABLE ONLY public.file FORCE ROW LEVEL SECURITY;


--
-- Name: file_usage; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.file_usage (
    org_id uuid NOT NULL,
    bytes bigint DEFAULT 0 NOT NULL,
    files integer DEFAULT 0 NOT NULL,
    CONSTRAINT file_usage_bytes_check CHECK ((bytes >= 0)),
    CONSTRAINT file_usage_files_check CHECK ((files >= 0))
);

ALTER TABLE ONLY public.file_usage FORCE ROW LEVEL SECURITY;


--
-- Name: invitation; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.invitation (
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    org_id uuid NOT NULL,
    email text NOT NULL,
    role text NOT NULL,
    token_hash bytea NOT NULL,
    invited_by uuid,
    expires_at timestamp with time zone NOT NULL,
    accepted_at timestamp with time zone,
    revoked_at timestamp with time zone,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT invitation_email_check CHECK (((email = lower(email)) AND (email ~~ '_%@_%'::text))),
    CONSTRAINT invitation_role_check CHECK ((role = ANY (ARRAY['client'::text, 'client_admin'::text, 'jusb_admin'::text]))),
    CONSTRAINT invitation_token_hash_check CHECK ((length(token_hash) = 32))
);

ALTER TABLE ONLY public.invitation FORCE ROW LEVEL SECURITY;


--
-- Name: message; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.message (
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    org_id uuid NOT NULL,
    thread_id uuid NOT NULL,
    author_id uuid NOT NULL,
    body text NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    body_html text DEFAULT ''::text NOT NULL,
    excerpt text DEFAULT ''::text NOT NULL,
    CONSTRAINT message_body_check CHECK (((char_length(body) >= 1) AND (char_length(body) <= 20000)))
);

ALTER TABLE ONLY public.message FORCE ROW LEVEL SECURITY;


--
-- Name: message_attachment; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.message_attachment (
    org_id uuid NOT NULL,
    message_id uuid NOT NULL,
    file_id uuid NOT NULL
);

ALTER TABLE ONLY public.message_attachment FORCE ROW LEVEL SECURITY;


--
-- Name: organization; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.organization (
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    name text NOT NULL,
    slug text NOT NULL,
    is_staff boolean DEFAULT false NOT NULL,
    archived_at timestamp with time zone,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT organization_name_check CHECK (((char_length(name) >= 1) AND (char_length(name) <= 200))),
    CONSTRAINT organization_slug_check CHECK ((slug ~ '^[a-z0-9]([a-z0-9-]{0,38}[a-z0-9])?$'::text))
);


--
-- Name: outbox; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.outbox (
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    org_id uuid NOT NULL,
    kind text NOT NULL,
    ref_id uuid NOT NULL,
    to_address text NOT NULL,
    attempts integer DEFAULT 0 NOT NULL,
    next_attempt_at timestamp with time zone DEFAULT now() NOT NULL,
    sent_at timestamp with time zone,
    failed_at timestamp with time zone,
    last_error text,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT outbox_kind_check CHECK ((kind ~ '^[a-z_]{1,40}$'::text)),
    CONSTRAINT outbox_to_address_check CHECK (((char_length(to_address) >= 3) AND (char_length(to_address) <= 254)))
);

ALTER TABLE ONLY public.outbox FORCE ROW LEVEL SECURITY;


--
-- Name: password_reset; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.password_reset (
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    org_id uuid NOT NULL,
    user_id uuid NOT NULL,
    token_hash bytea NOT NULL,
    expires_at timestamp with time zone NOT NULL,
    used_at timestamp with time zone,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT password_reset_token_hash_check CHECK ((length(token_hash) = 32))
);

ALTER TABLE ONLY public.password_reset FORCE ROW LEVEL SECURITY;


--
-- Name: rate_count; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.rate_count (
    key bytea NOT NULL,
    window_start timestamp with time zone NOT NULL,
    count integer NOT NULL,
    CONSTRAINT rate_count_count_check CHECK ((count >= 0)),
    CONSTRAINT rate_count_key_check CHECK ((length(key) = 32))
);


--
-- Name: recovery_code; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.recovery_code (
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    org_id uuid NOT NULL,
    user_id uuid NOT NULL,
    code_hash bytea NOT NULL,
    used_at timestamp with time zone,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT recovery_code_code_hash_check CHECK ((length(code_hash) = 32))
);

ALTER TABLE ONLY public.recovery_code FORCE ROW LEVEL SECURITY;


--
-- Name: schema_migrations; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.schema_migrations (
    version character varying NOT NULL
);


--
-- Name: sessions; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.sessions (
    token text NOT NULL,
    data bytea NOT NULL,
    expiry timestamp with time zone NOT NULL
);


--
-- Name: task; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.task (
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    org_id uuid NOT NULL,
    title text NOT NULL,
    description text DEFAULT ''::text NOT NULL,
    status text DEFAULT 'open'::text NOT NULL,
    assignee_id uuid,
    due_date date,
    created_by uuid NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT task_description_check CHECK ((char_length(description) <= 20000)),
    CONSTRAINT task_status_check CHECK ((status = ANY (ARRAY['open'::text, 'in_progress'::text, 'done'::text]))),
    CONSTRAINT task_title_check CHECK (((char_length(title) >= 1) AND (char_length(title) <= 200)))
);

ALTER TABLE ONLY public.task FORCE ROW LEVEL SECURITY;


--
-- Name: task_note; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.task_note (
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    org_id uuid NOT NULL,
    task_id uuid NOT NULL,
    author_id uuid NOT NULL,
    body text NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT task_note_body_check CHECK (((char_length(body) >= 1) AND (char_length(body) <= 20000)))
);

ALTER TABLE ONLY public.task_note FORCE ROW LEVEL SECURITY;


--
-- Name: thread; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.thread (
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    org_id uuid NOT NULL,
    title text NOT NULL,
    created_by uuid NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    last_message_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT thread_title_check CHECK (((char_length(title) >= 1) AND (char_length(title) <= 200)))
);

ALTER TABLE ONLY public.thread FORCE ROW LEVEL SECURITY;


--
-- Name: thread_read; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.thread_read (
    org_id uuid NOT NULL,
    thread_id uuid NOT NULL,
    user_id uuid NOT NULL,
    last_read_at timestamp with time zone DEFAULT now() NOT NULL
);

ALTER TABLE ONLY public.thread_read FORCE ROW LEVEL SECURITY;


--
-- Name: user_totp; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.user_totp (
    org_id uuid NOT NULL,
    user_id uuid NOT NULL,
    secret text NOT NULL,
    last_step bigint,
    enabled_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT user_totp_secret_check CHECK (((secret ~ '^[A-Z2-7]{32}$'::text) OR (secret ~ '^v1:[A-Za-z0-9+/]{40,200}={0,2}$'::text)))
);

ALTER TABLE ONLY public.user_totp FORCE ROW LEVEL SECURITY;


--
-- Name: activity_common_term activity_common_term_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.activity_common_term
    ADD CONSTRAINT activity_common_term_pkey PRIMARY KEY (org_id, term);


--
-- Name: activity activity_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.activity
    ADD CONSTRAINT activity_pkey PRIMARY KEY (id);


--
-- Name: activity_term activity_term_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.activity_term
    ADD CONSTRAINT activity_term_pkey PRIMARY KEY (org_id, term, created_at, activity_id);


--
-- Name: app_user app_user_org_id_id_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.app_user
    ADD CONSTRAINT app_user_org_id_id_key UNIQUE (org_id, id);


--
-- Name: app_user app_user_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.app_user
    ADD CONSTRAINT app_user_pkey PRIMARY KEY (id);


--
-- Name: file file_org_id_id_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.file
    ADD CONSTRAINT file_org_id_id_key UNIQUE (org_id, id);


--
-- Name: file file_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.file
    ADD CONSTRAINT file_pkey PRIMARY KEY (id);


--
-- Name: file file_storage_key_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.file
    ADD CONSTRAINT file_storage_key_key UNIQUE (storage_key);


--
-- Name: file_usage file_usage_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.file_usage
    ADD CONSTRAINT file_usage_pkey PRIMARY KEY (org_id);


--
-- Name: invitation invitation_org_id_id_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.invitation
    ADD CONSTRAINT invitation_org_id_id_key UNIQUE (org_id, id);


--
-- Name: invitation invitation_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.invitation
    ADD CONSTRAINT invitation_pkey PRIMARY KEY (id);


--
-- Name: invitation invitation_token_hash_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.invitation
    ADD CONSTRAINT invitation_token_hash_key UNIQUE (token_hash);


--
-- Name: message_attachment message_attachment_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.message_attachment
    ADD CONSTRAINT message_attachment_pkey PRIMARY KEY (org_id, message_id, file_id);


--
-- Name: message message_org_id_id_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.message
    ADD CONSTRAINT message_org_id_id_key UNIQUE (org_id, id);


--
-- Name: message message_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.message
    ADD CONSTRAINT message_pkey PRIMARY KEY (id);


--
-- Name: organization organization_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.organization
    ADD CONSTRAINT organization_pkey PRIMARY KEY (id);


--
-- Name: organization organization_slug_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.organization
    ADD CONSTRAINT organization_slug_key UNIQUE (slug);


--
-- Name: outbox outbox_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.outbox
    ADD CONSTRAINT outbox_pkey PRIMARY KEY (id);


--
-- Name: password_reset password_reset_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.password_reset
    ADD CONSTRAINT password_reset_pkey PRIMARY KEY (id);


--
-- Name: password_reset password_reset_token_hash_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.password_reset
    ADD CONSTRAINT password_reset_token_hash_key UNIQUE (token_hash);


--
-- Name: rate_count rate_count_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.rate_count
    ADD CONSTRAINT rate_count_pkey PRIMARY KEY (key, window_start);


--
-- Name: recovery_code recovery_code_org_id_user_id_code_hash_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.recovery_code
    ADD CONSTRAINT recovery_code_org_id_user_id_code_hash_key UNIQUE (org_id, user_id, code_hash);


--
-- Name: recovery_code recovery_code_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.recovery_code
    ADD CONSTRAINT recovery_code_pkey PRIMARY KEY (id);


--
-- Name: schema_migrations schema_migrations_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.schema_migrations
    ADD CONSTRAINT schema_migrations_pkey PRIMARY KEY (version);


--
-- Name: sessions sessions_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.sessions
    ADD CONSTRAINT sessions_pkey PRIMARY KEY (token);


--
-- Name: task_note task_note_org_id_id_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.task_note
    ADD CONSTRAINT task_note_org_id_id_key UNIQUE (org_id, id);


--
-- Name: task_note task_note_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.task_note
    ADD CONSTRAINT task_note_pkey PRIMARY KEY (id);


--
-- Name: task task_org_id_id_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.task
    ADD CONSTRAINT task_org_id_id_key UNIQUE (org_id, id);


--
-- Name: task task_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.task
    ADD CONSTRAINT task_pkey PRIMARY KEY (id);


--
-- Name: thread thread_org_id_id_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.thread
    ADD CONSTRAINT thread_org_id_id_key UNIQUE (org_id, id);


--
-- Name: thread thread_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.thread
    ADD CONSTRAINT thread_pkey PRIMARY KEY (id);


--
-- Name: thread_read thread_read_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.thread_read
    ADD CONSTRAINT thread_read_pkey PRIMARY KEY (org_id, thread_id, user_id);


--
-- Name: user_totp user_totp_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.user_totp
    ADD CONSTRAINT user_totp_pkey PRIMARY KEY (org_id, user_id);


--
-- Name: activity_action_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX activity_action_idx ON public.activity USING btree (action, created_at DESC, id DESC);


--
-- Name: activity_actor_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX activity_actor_idx ON public.activity USING btree (actor_id, created_at DESC, id DESC);


--
-- Name: activity_common_term_global_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX activity_common_term_global_idx ON public.activity_common_term USING btree (term);


--
-- Name: activity_org_action_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX activity_org_action_idx ON public.activity USING btree (org_id, action, created_at DESC, id DESC);


--
-- Name: activity_org_actor_action_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX activity_org_actor_action_idx ON public.activity USING btree (org_id, actor_id, action, created_at DESC, id DESC);


--
-- Name: activity_org_actor_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX activity_org_actor_idx ON public.activity USING btree (org_id, actor_id, created_at DESC, id DESC);


--
-- Name: activity_org_recent_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX activity_org_recent_idx ON public.activity USING btree (org_id, created_at DESC, id DESC);


--
-- Name: activity_org_target_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX activity_org_target_idx ON public.activity USING btree (org_id, target_type, created_at DESC, id DESC);


--
-- Name: activity_recent_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX activity_recent_idx ON public.activity USING btree (created_at DESC, id DESC);


--
-- Name: activity_target_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX activity_target_idx ON public.activity USING btree (target_type, created_at DESC, id DESC);


--
-- Name: activity_term_global_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX activity_term_global_idx ON public.activity_term USING btree (term, created_at, activity_id);


--
-- Name: app_user_email_key; Type: INDEX; Schema: public; Owner: -
--

CREATE UNIQUE INDEX app_user_email_key ON public.app_user USING btree (email);


--
-- Name: app_user_org_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX app_user_org_idx ON public.app_user USING btree (org_id, name);


--
-- Name: file_org_recent_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX file_org_recent_idx ON public.file USING btree (org_id, created_at DESC, id DESC) WHERE (deleted_at IS NULL);


--
-- Name: invitation_org_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX invitation_org_idx ON public.invitation USING btree (org_id, created_at DESC);


--
-- Name: invitation_pending_email; Type: INDEX; Schema: public; Owner: -
--

CREATE UNIQUE INDEX invitation_pending_email ON public.invitation USING btree (org_id, email) WHERE ((accepted_at IS NULL) AND (revoked_at IS NULL));


--
-- Name: message_attachment_file_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX message_attachment_file_idx ON public.message_attachment USING btree (org_id, file_id);


--
-- Name: message_thread_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX message_thread_idx ON public.message USING btree (org_id, thread_id, created_at, id);


--
-- Name: organization_name_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX organization_name_idx ON public.organization USING btree (name, id);


--
-- Name: organization_single_staff; Type: INDEX; Schema: public; Owner: -
--

CREATE UNIQUE INDEX organization_single_staff ON public.organization USING btree (is_staff) WHERE is_staff;


--
-- Name: outbox_due_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX outbox_due_idx ON public.outbox USING btree (next_attempt_at) WHERE ((sent_at IS NULL) AND (failed_at IS NULL));


--
-- Name: outbox_ref_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX outbox_ref_idx ON public.outbox USING btree (org_id, ref_id, created_at DESC);


--
-- Name: password_reset_user_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX password_reset_user_idx ON public.password_reset USING btree (org_id, user_id);


--
-- Name: rate_count_window_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX rate_count_window_idx ON public.rate_count USING btree (window_start);


--
-- Name: sessions_expiry_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX sessions_expiry_idx ON public.sessions USING btree (expiry);


--
-- Name: task_note_task_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX task_note_task_idx ON public.task_note USING btree (org_id, task_id, created_at, id);


--
-- Name: task_org_assignee_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX task_org_assignee_idx ON public.task USING btree (org_id, assignee_id, status);


--
-- Name: task_org_list_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX task_org_list_idx ON public.task USING btree (org_id, ((status = 'done'::text)), COALESCE(due_date, '9999-12-31'::date), created_at, id);


--
-- Name: task_org_status_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX task_org_status_idx ON public.task USING btree (org_id, status, due_date, id);


--
-- Name: thread_org_recent_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX thread_org_recent_idx ON public.thread USING btree (org_id, last_message_at DESC, id DESC);


--
-- Name: thread_read_user_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX thread_read_user_idx ON public.thread_read USING btree (org_id, user_id);


--
-- Name: activity activity_actor; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER activity_actor BEFORE INSERT OR UPDATE OF actor_id, org_id ON public.activity FOR EACH ROW EXECUTE FUNCTION public.actor_may_act('actor_id');


--
-- Name: activity activity_actor_name; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER activity_actor_name BEFORE INSERT OR UPDATE OF actor_id ON public.activity FOR EACH ROW EXECUTE FUNCTION public.activity_actor_name();


--
-- Name: activity activity_list_terms; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER activity_list_terms AFTER INSERT ON public.activity REFERENCING NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION public.activity_list_terms();


--
-- Name: activity activity_relist_terms; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER activity_relist_terms AFTER UPDATE OF org_id, summary, actor_id, actor_name, created_at ON public.activity FOR EACH ROW EXECUTE FUNCTION public.activity_relist_terms();


--
-- Name: activity activity_unlist_terms; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER activity_unlist_terms AFTER DELETE ON public.activity REFERENCING OLD TABLE AS removed FOR EACH STATEMENT EXECUTE FUNCTION public.activity_unlist_terms();


--
-- Name: app_user app_user_role_fits_org; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER app_user_role_fits_org BEFORE INSERT OR UPDATE OF role, org_id ON public.app_user FOR EACH ROW EXECUTE FUNCTION public.app_user_role_fits_org();


--
-- Name: file file_actor; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER file_actor BEFORE INSERT OR UPDATE OF uploader_id, org_id ON public.file FOR EACH ROW EXECUTE FUNCTION public.actor_may_act('uploader_id');


--
-- Name: file file_usage_count; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER file_usage_count AFTER INSERT OR DELETE OR UPDATE OF deleted_at ON public.file FOR EACH ROW EXECUTE FUNCTION public.file_usage_count();


--
-- Name: invitation invitation_actor; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER invitation_actor BEFORE INSERT OR UPDATE OF invited_by, org_id ON public.invitation FOR EACH ROW EXECUTE FUNCTION public.actor_may_act('invited_by');


--
-- Name: message message_actor; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER message_actor BEFORE INSERT OR UPDATE OF author_id, org_id ON public.message FOR EACH ROW EXECUTE FUNCTION public.actor_may_act('author_id');


--
-- Name: outbox outbox_queued; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER outbox_queued AFTER INSERT ON public.outbox FOR EACH STATEMENT EXECUTE FUNCTION public.outbox_notify();


--
-- Name: task task_actor; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER task_actor BEFORE INSERT OR UPDATE OF created_by, org_id ON public.task FOR EACH ROW EXECUTE FUNCTION public.actor_may_act('created_by');


--
-- Name: task_note task_note_actor; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER task_note_actor BEFORE INSERT OR UPDATE OF author_id, org_id ON public.task_note FOR EACH ROW EXECUTE FUNCTION public.actor_may_act('author_id');


--
-- Name: thread thread_actor; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER thread_actor BEFORE INSERT OR UPDATE OF created_by, org_id ON public.thread FOR EACH ROW EXECUTE FUNCTION public.actor_may_act('created_by');


--
-- Name: thread_read thread_read_actor; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER thread_read_actor BEFORE INSERT OR UPDATE OF user_id, org_id ON public.thread_read FOR EACH ROW EXECUTE FUNCTION public.actor_may_act('user_id');


--
-- Name: activity activity_actor_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.activity
    ADD CONSTRAINT activity_actor_id_fkey FOREIGN KEY (actor_id) REFERENCES public.app_user(id);


--
-- Name: activity_common_term activity_common_term_org_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.activity_common_term
    ADD CONSTRAINT activity_common_term_org_id_fkey FOREIGN KEY (org_id) REFERENCES public.organization(id);


--
-- Name: activity activity_org_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.activity
    ADD CONSTRAINT activity_org_id_fkey FOREIGN KEY (org_id) REFERENCES public.organization(id);


--
-- Name: app_user app_user_org_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.app_user
    ADD CONSTRAINT app_user_org_id_fkey FOREIGN KEY (org_id) REFERENCES public.organization(id);


--
-- Name: file file_org_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.file
    ADD CONSTRAINT file_org_id_fkey FOREIGN KEY (org_id) REFERENCES public.organization(id);


--
-- Name: file file_uploader_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.file
    ADD CONSTRAINT file_uploader_id_fkey FOREIGN KEY (uploader_id) REFERENCES public.app_user(id);


--
-- Name: file_usage file_usage_org_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.file_usage
    ADD CONSTRAINT file_usage_org_id_fkey FOREIGN KEY (org_id) REFERENCES public.organization(id) ON DELETE CASCADE;


--
-- Name: invitation invitation_invited_by_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.invitation
    ADD CONSTRAINT invitation_invited_by_fkey FOREIGN KEY (invited_by) REFERENCES public.app_user(id);


--
-- Name: invitation invitation_org_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.invitation
    ADD CONSTRAINT invitation_org_id_fkey FOREIGN KEY (org_id) REFERENCES public.organization(id);


--
-- Name: message_attachment message_attachment_org_id_file_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.message_attachment
    ADD CONSTRAINT message_attachment_org_id_file_id_fkey FOREIGN KEY (org_id, file_id) REFERENCES public.file(org_id, id);


--
-- Name: message_attachment message_attachment_org_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.message_attachment
    ADD CONSTRAINT message_attachment_org_id_fkey FOREIGN KEY (org_id) REFERENCES public.organization(id);


--
-- Name: message_attachment message_attachment_org_id_message_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.message_attachment
    ADD CONSTRAINT message_attachment_org_id_message_id_fkey FOREIGN KEY (org_id, message_id) REFERENCES public.message(org_id, id) ON DELETE CASCADE;


--
-- Name: message message_author_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.message
    ADD CONSTRAINT message_author_id_fkey FOREIGN KEY (author_id) REFERENCES public.app_user(id);


--
-- Name: message message_org_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.message
    ADD CONSTRAINT message_org_id_fkey FOREIGN KEY (org_id) REFERENCES public.organization(id);


--
-- Name: message message_org_id_thread_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.message
    ADD CONSTRAINT message_org_id_thread_id_fkey FOREIGN KEY (org_id, thread_id) REFERENCES public.thread(org_id, id) ON DELETE CASCADE;


--
-- Name: outbox outbox_org_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.outbox
    ADD CONSTRAINT outbox_org_id_fkey FOREIGN KEY (org_id) REFERENCES public.organization(id);


--
-- Name: password_reset password_reset_org_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.password_reset
    ADD CONSTRAINT password_reset_org_id_fkey FOREIGN KEY (org_id) REFERENCES public.organization(id);


--
-- Name: password_reset password_reset_org_id_user_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.password_reset
    ADD CONSTRAINT password_reset_org_id_user_id_fkey FOREIGN KEY (org_id, user_id) REFERENCES public.app_user(org_id, id) ON DELETE CASCADE;


--
-- Name: recovery_code recovery_code_org_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.recovery_code
    ADD CONSTRAINT recovery_code_org_id_fkey FOREIGN KEY (org_id) REFERENCES public.organization(id);


--
-- Name: recovery_code recovery_code_org_id_user_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.recovery_code
    ADD CONSTRAINT recovery_code_org_id_user_id_fkey FOREIGN KEY (org_id, user_id) REFERENCES public.app_user(org_id, id) ON DELETE CASCADE;


--
-- Name: task task_created_by_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.task
    ADD CONSTRAINT task_created_by_fkey FOREIGN KEY (created_by) REFERENCES public.app_user(id);


--
-- Name: task_note task_note_author_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.task_note
    ADD CONSTRAINT task_note_author_id_fkey FOREIGN KEY (author_id) REFERENCES public.app_user(id);


--
-- Name: task_note task_note_org_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.task_note
    ADD CONSTRAINT task_note_org_id_fkey FOREIGN KEY (org_id) REFERENCES public.organization(id);


--
-- Name: task_note task_note_org_id_task_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.task_note
    ADD CONSTRAINT task_note_org_id_task_id_fkey FOREIGN KEY (org_id, task_id) REFERENCES public.task(org_id, id) ON DELETE CASCADE;


--
-- Name: task task_org_id_assignee_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.task
    ADD CONSTRAINT task_org_id_assignee_id_fkey FOREIGN KEY (org_id, assignee_id) REFERENCES public.app_user(org_id, id);


--
-- Name: task task_org_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.task
    ADD CONSTRAINT task_org_id_fkey FOREIGN KEY (org_id) REFERENCES public.organization(id);


--
-- Name: thread thread_created_by_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.thread
    ADD CONSTRAINT thread_created_by_fkey FOREIGN KEY (created_by) REFERENCES public.app_user(id);


--
-- Name: thread thread_org_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.thread
    ADD CONSTRAINT thread_org_id_fkey FOREIGN KEY (org_id) REFERENCES public.organization(id);


--
-- Name: thread_read thread_read_org_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.thread_read
    ADD CONSTRAINT thread_read_org_id_fkey FOREIGN KEY (org_id) REFERENCES public.organization(id);


--
-- Name: thread_read thread_read_org_id_thread_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.thread_read
    ADD CONSTRAINT thread_read_org_id_thread_id_fkey FOREIGN KEY (org_id, thread_id) REFERENCES public.thread(org_id, id) ON DELETE CASCADE;


--
-- Name: thread_read thread_read_user_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.thread_read
    ADD CONSTRAINT thread_read_user_id_fkey FOREIGN KEY (user_id) REFERENCES public.app_user(id);


--
-- Name: user_totp user_totp_org_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.user_totp
    ADD CONSTRAINT user_totp_org_id_fkey FOREIGN KEY (org_id) REFERENCES public.organization(id);


--
-- Name: user_totp user_totp_org_id_user_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.user_totp
    ADD CONSTRAINT user_totp_org_id_user_id_fkey FOREIGN KEY (org_id, user_id) REFERENCES public.app_user(org_id, id) ON DELETE CASCADE;


--
-- Name: activity; Type: ROW SECURITY; Schema: public; Owner: -
--

ALTER TABLE public.activity ENABLE ROW LEVEL SECURITY;

--
-- Name: activity_common_term; Type: ROW SECURITY; Schema: public; Owner: -
--

ALTER TABLE public.activity_common_term ENABLE ROW LEVEL SECURITY;

--
-- Name: activity_term; Type: ROW SECURITY; Schema: public; Owner: -
--

ALTER TABLE public.activity_term ENABLE ROW LEVEL SECURITY;

--
-- Name: app_user; Type: ROW SECURITY; Schema: public; Owner: -
--

ALTER TABLE public.app_user ENABLE ROW LEVEL SECURITY;

--
-- Name: file; Type: ROW SECURITY; Schema: public; Owner: -
--

ALTER TABLE public.file ENABLE ROW LEVEL SECURITY;

--
-- Name: file_usage; Type: ROW SECURITY; Schema: public; Owner: -
--

ALTER TABLE public.file_usage ENABLE ROW LEVEL SECURITY;

--
-- Name: invitation; Type: ROW SECURITY; Schema: public; Owner: -
--

ALTER TABLE public.invitation ENABLE ROW LEVEL SECURITY;

--
-- Name: invitation invitation_token; Type: POLICY; Schema: public; Owner: -
--

CREATE POLICY invitation_token ON public.invitation FOR SELECT TO portal_app USING ((token_hash = public.app_invitation_token_hash()));


--
-- Name: message; Type: ROW SECURITY; Schema: public; Owner: -
--

ALTER TABLE public.message ENABLE ROW LEVEL SECURITY;

--
-- Name: message_attachment; Type: ROW SECURITY; Schema: public; Owner: -
--

ALTER TABLE public.message_attachment ENABLE ROW LEVEL SECURITY;

--
-- Name: outbox; Type: ROW SECURITY; Schema: public; Owner: -
--

ALTER TABLE public.outbox ENABLE ROW LEVEL SECURITY;

--
-- Name: password_reset; Type: ROW SECURITY; Schema: public; Owner: -
--

ALTER TABLE public.password_reset ENABLE ROW LEVEL SECURITY;

--
-- Name: recovery_code; Type: ROW SECURITY; Schema: public; Owner: -
--

ALTER TABLE public.recovery_code ENABLE ROW LEVEL SECURITY;

--
-- Name: password_reset reset_lookup; Type: POLICY; Schema: public; Owner: -
--

CREATE POLICY reset_lookup ON public.password_reset FOR SELECT TO portal_app USING ((token_hash = public.app_reset_token_hash()));


--
-- Name: app_user reset_user; Type: POLICY; Schema: public; Owner: -
--

CREATE POLICY reset_user ON public.app_user FOR SELECT TO portal_app USING (((public.app_reset_token_hash() IS NOT NULL) AND ((org_id, id) IN ( SELECT r.org_id,
    r.user_id
   FROM public.password_reset r
  WHERE (r.token_hash = public.app_reset_token_hash())))));


--
-- Name: activity staff; Type: POLICY; Schema: public; Owner: -
--

CREATE POLICY staff ON public.activity TO portal_staff USING (true) WITH CHECK (true);


--
-- Name: activity_common_term staff; Type: POLICY; Schema: public; Owner: -
--

CREATE POLICY staff ON public.activity_common_term TO portal_staff USING (true) WITH CHECK (true);


--
-- Name: activity_term staff; Type: POLICY; Schema: public; Owner: -
--

CREATE POLICY staff ON public.activity_term TO portal_staff USING (true) WITH CHECK (true);


--
-- Name: app_user staff; Type: POLICY; Schema: public; Owner: -
--

CREATE POLICY staff ON public.app_user TO portal_staff USING (true) WITH CHECK (true);


--
-- Name: file staff; Type: POLICY; Schema: public; Owner: -
--

CREATE POLICY staff ON public.file TO portal_staff USING (true) WITH CHECK (true);


--
-- Name: file_usage staff; Type: POLICY; Schema: public; Owner: -
--

CREATE POLICY staff ON public.file_usage TO portal_staff USING (true) WITH CHECK (true);


--
-- Name: invitation staff; Type: POLICY; Schema: public; Owner: -
--

CREATE POLICY staff ON public.invitation TO portal_staff USING (true) WITH CHECK (true);


--
-- Name: message staff; Type: POLICY; Schema: public; Owner: -
--

CREATE POLICY staff ON public.message TO portal_staff USING (true) WITH CHECK (true);


--
-- Name: message_attachment staff; Type: POLICY; Schema: public; Owner: -
--

CREATE POLICY staff ON public.message_attachment TO portal_staff USING (true) WITH CHECK (true);


--
-- Name: outbox staff; Type: POLICY; Schema: public; Owner: -
--

CREATE POLICY staff ON public.outbox TO portal_staff USING (true) WITH CHECK (true);


--
-- Name: password_reset staff; Type: POLICY; Schema: public; Owner: -
--

CREATE POLICY staff ON public.password_reset TO portal_staff USING (true) WITH CHECK (true);


--
-- Name: recovery_code staff; Type: POLICY; Schema: public; Owner: -
--

CREATE POLICY staff ON public.recovery_code TO portal_staff USING (true) WITH CHECK (true);


--
-- Name: task staff; Type: POLICY; Schema: public; Owner: -
--

CREATE POLICY staff ON public.task TO portal_staff USING (true) WITH CHECK (true);


--
-- Name: task_note staff; Type: POLICY; Schema: public; Owner: -
--

CREATE POLICY staff ON public.task_note TO portal_staff USING (true) WITH CHECK (true);


--
-- Name: thread staff; Type: POLICY; Schema: public; Owner: -
--

CREATE POLICY staff ON public.thread TO portal_staff USING (true) WITH CHECK (true);


--
-- Name: thread_read staff; Type: POLICY; Schema: public; Owner: -
--

CREATE POLICY staff ON public.thread_read TO portal_staff USING (true) WITH CHECK (true);


--
-- Name: user_totp staff; Type: POLICY; Schema: public; Owner: -
--

CREATE POLICY staff ON public.user_totp TO portal_staff USING (true) WITH CHECK (true);


--
-- Name: task; Type: ROW SECURITY; Schema: public; Owner: -
--

ALTER TABLE public.task ENABLE ROW LEVEL SECURITY;

--
-- Name: task_note; Type: ROW SECURITY; Schema: public; Owner: -
--

ALTER TABLE public.task_note ENABLE ROW LEVEL SECURITY;

--
-- Name: activity tenant; Type: POLICY; Schema: public; Owner: -
--

CREATE POLICY tenant ON public.activity TO portal_app USING ((org_id = public.app_org_id())) WITH CHECK ((org_id = public.app_org_id()));


--
-- Name: activity_common_term tenant; Type: POLICY; Schema: public; Owner: -
--

CREATE POLICY tenant ON public.activity_common_term TO portal_app USING ((org_id = public.app_org_id())) WITH CHECK ((org_id = public.app_org_id()));


--
-- Name: activity_term tenant; Type: POLICY; Schema: public; Owner: -
--

CREATE POLICY tenant ON public.activity_term TO portal_app USING ((org_id = public.app_org_id())) WITH CHECK ((org_id = public.app_org_id()));


--
-- Name: file tenant; Type: POLICY; Schema: public; Owner: -
--

CREATE POLICY tenant ON public.file TO portal_app USING ((org_id = public.app_org_id())) WITH CHECK ((org_id = public.app_org_id()));


--
-- Name: file_usage tenant; Type: POLICY; Schema: public; Owner: -
--

CREATE POLICY tenant ON public.file_usage TO portal_app USING ((org_id = public.app_org_id())) WITH CHECK ((org_id = public.app_org_id()));


--
-- Name: invitation tenant; Type: POLICY; Schema: public; Owner: -
--

CREATE POLICY tenant ON public.invitation TO portal_app USING ((org_id = public.app_org_id())) WITH CHECK ((org_id = public.app_org_id()));


--
-- Name: message tenant; Type: POLICY; Schema: public; Owner: -
--

CREATE POLICY tenant ON public.message TO portal_app USING ((org_id = public.app_org_id())) WITH CHECK ((org_id = public.app_org_id()));


--
-- Name: message_attachment tenant; Type: POLICY; Schema: public; Owner: -
--

CREATE POLICY tenant ON public.message_attachment TO portal_app USING ((org_id = public.app_org_id())) WITH CHECK ((org_id = public.app_org_id()));


--
-- Name: outbox tenant; Type: POLICY; Schema: public; Owner: -
--

CREATE POLICY tenant ON public.outbox TO portal_app USING ((org_id = public.app_org_id())) WITH CHECK ((org_id = public.app_org_id()));


--
-- Name: password_reset tenant; Type: POLICY; Schema: public; Owner: -
--

CREATE POLICY tenant ON public.password_reset TO portal_app USING ((org_id = public.app_org_id())) WITH CHECK ((org_id = public.app_org_id()));


--
-- Name: recovery_code tenant; Type: POLICY; Schema: public; Owner: -
--

CREATE POLICY tenant ON public.recovery_code TO portal_app USING ((org_id = public.app_org_id())) WITH CHECK ((org_id = public.app_org_id()));


--
-- Name: task tenant; Type: POLICY; Schema: public; Owner: -
--

CREATE POLICY tenant ON public.task TO portal_app USING ((org_id = public.app_org_id())) WITH CHECK ((org_id = public.app_org_id()));


--
-- Name: task_note tenant; Type: POLICY; Schema: public; Owner: -
--

CREATE POLICY tenant ON public.task_note TO portal_app USING ((org_id = public.app_org_id())) WITH CHECK ((org_id = public.app_org_id()));


--
-- Name: thread tenant; Type: POLICY; Schema: public; Owner: -
--

CREATE POLICY tenant ON public.thread TO portal_app USING ((org_id = public.app_org_id())) WITH CHECK ((org_id = public.app_org_id()));


--
-- Name: thread_read tenant; Type: POLICY; Schema: public; Owner: -
--

CREATE POLICY tenant ON public.thread_read TO portal_app USING ((org_id = public.app_org_id())) WITH CHECK ((org_id = public.app_org_id()));


--
-- Name: user_totp tenant; Type: POLICY; Schema: public; Owner: -
--

CREATE POLICY tenant ON public.user_totp TO portal_app USING ((org_id = public.app_org_id())) WITH CHECK ((org_id = public.app_org_id()));


--
-- Name: app_user tenant_delete; Type: POLICY; Schema: public; Owner: -
--

CREATE POLICY tenant_delete ON public.app_user FOR DELETE TO portal_app USING ((org_id = public.app_org_id()));


--
-- Name: app_user tenant_insert; Type: POLICY; Schema: public; Owner: -
--

CREATE POLICY tenant_insert ON public.app_user FOR INSERT TO portal_app WITH CHECK ((org_id = public.app_org_id()));


--
-- Name: app_user tenant_read; Type: POLICY; Schema: public; Owner: -
--

CREATE POLICY tenant_read ON public.app_user FOR SELECT TO portal_app USING (((org_id = public.app_org_id()) OR ((public.app_org_id() IS NOT NULL) AND (org_id = ( SELECT o.id
   FROM public.organization o
  WHERE o.is_staff))) OR (email = public.app_signin_email())));


--
-- Name: app_user tenant_update; Type: POLICY; Schema: public; Owner: -
--

CREATE POLICY tenant_update ON public.app_user FOR UPDATE TO portal_app USING ((org_id = public.app_org_id())) WITH CHECK ((org_id = public.app_org_id()));


--
-- Name: thread; Type: ROW SECURITY; Schema: public; Owner: -
--

ALTER TABLE public.thread ENABLE ROW LEVEL SECURITY;

--
-- Name: thread_read; Type: ROW SECURITY; Schema: public; Owner: -
--

ALTER TABLE public.thread_read ENABLE ROW LEVEL SECURITY;

--
-- Name: user_totp; Type: ROW SECURITY; Schema: public; Owner: -
--

ALTER TABLE public.user_totp ENABLE ROW LEVEL SECURITY;

--
-- PostgreSQL database dump complete
--

\unrestrict dbmate


--
-- Dbmate schema migrations
--

INSERT INTO public.schema_migrations (version) VALUES
    ('20261203100000'),
    ('20261203100100'),
    ('20261203100200'),
    ('20261203110000'),
    ('20261203110100'),
    ('20261203110300'),
    ('20261203120000'),
    ('20261203120100'),
    ('20261203120200'),
    ('20261203120300'),
    ('20261203130000'),
    ('20261203140000'),
    ('20261203150000'),
    ('20261203160000'),
    ('20261203170000');
