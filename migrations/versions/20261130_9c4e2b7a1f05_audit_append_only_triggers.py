"""The audit log is append-only in the database itself: triggers refuse DELETE (and TRUNCATE), and every
UPDATE except setting the actor to NULL when that account is deleted (the foreign key's ON DELETE SET NULL).

Revision ID: 9c4e2b7a1f05
Revises: 5e1a7c3b9d20
Create Date: 2026-11-30 18:10:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '9c4e2b7a1f05'
down_revision = '5e1a7c3b9d20'
branch_labels = None
depends_on = None

#: The one change allowed: the actor's account was deleted, nothing else moves.
_ONLY_ACTOR_CLEARED = """
    NEW.actor_id IS NULL AND OLD.actor_id IS NOT NULL
    AND NEW.id {same} OLD.id AND NEW.created_at {same} OLD.created_at
    AND NEW.actor_label {same} OLD.actor_label AND NEW.action {same} OLD.action
    AND NEW.target_type {same} OLD.target_type AND NEW.target_id {same} OLD.target_id
    AND NEW.note {same} OLD.note
    AND {before_same} AND {after_same}
"""


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        same = "IS NOT DISTINCT FROM"
        allowed = _ONLY_ACTOR_CLEARED.format(
            same=same,
            before_same=f"NEW.before::text {same} OLD.before::text",
            after_same=f"NEW.after::text {same} OLD.after::text",
        )
        op.execute(f"""
            CREATE FUNCTION audit_entry_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF TG_OP = 'UPDATE' AND ({allowed}) THEN
                    RETURN NEW;
                END IF;
                RAISE EXCEPTION 'audit entries are append-only (% refused)', TG_OP
                    USING ERRCODE = 'insufficient_privilege';
            END;
            $$
        """)
        op.execute("""
            CREATE TRIGGER audit_entry_append_only BEFORE UPDATE OR DELETE ON audit_entry
            FOR EACH ROW EXECUTE FUNCTION audit_entry_append_only()
        """)
        op.execute("""
            CREATE TRIGGER audit_entry_no_truncate BEFORE TRUNCATE ON audit_entry
            FOR EACH STATEMENT EXECUTE FUNCTION audit_entry_append_only()
        """)
    else:
        same = "IS"
        allowed = _ONLY_ACTOR_CLEARED.format(
            same=same, before_same=f"NEW.before {same} OLD.before", after_same=f"NEW.after {same} OLD.after"
        )
        op.execute("""
            CREATE TRIGGER audit_entry_no_delete BEFORE DELETE ON audit_entry
            BEGIN SELECT RAISE(ABORT, 'audit entries are append-only (DELETE refused)'); END
        """)
        op.execute(f"""
            CREATE TRIGGER audit_entry_no_update BEFORE UPDATE ON audit_entry
            WHEN NOT ({allowed})
            BEGIN SELECT RAISE(ABORT, 'audit entries are append-only (UPDATE refused)'); END
        """)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER audit_entry_no_truncate ON audit_entry")
        op.execute("DROP TRIGGER audit_entry_append_only ON audit_entry")
        op.execute("DROP FUNCTION audit_entry_append_only()")
    else:
        op.execute("DROP TRIGGER audit_entry_no_update")
        op.execute("DROP TRIGGER audit_entry_no_delete")
