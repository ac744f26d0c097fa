-- migrate:up

-- app_invitation_token_hash is the SHA-256 of the one invitation token that the
-- current transaction may look up: accepting an invitation finds it before the
-- organization is known, as a sign-in finds its user by app_signin_email(). The Go
-- store (Store.ForInvitation) sets it, hex-encoded, transaction-local.
CREATE FUNCTION app_invitation_token_hash() RETURNS bytea
    LANGUAGE sql STABLE
    AS $$ SELECT decode(NULLIF(current_setting('app.invitation_token_hash', true), ''), 'hex') $$;

-- invitation_token lets portal_app read the one invitation whose token hash is set,
-- whatever its organization, and nothing else. Once it has read the row, the store
-- binds the transaction to that invitation's organization (app.org_id), and the
-- tenant policies take over: the new user is inserted into that organization only.
CREATE POLICY invitation_token ON invitation FOR SELECT TO portal_app
    USING (token_hash = app_invitation_token_hash());

-- migrate:down
DROP POLICY invitation_token ON invitation;
DROP FUNCTION app_invitation_token_hash();
