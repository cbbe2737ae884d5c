"""web console: accounts, sessions, sign-in throttling, the full-text index over cases

Revision ID: 0006
Revises: 0004
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel
import models.types
from models.search import ddl


revision = '0006'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'web_account',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('email', sqlmodel.sql.sqltypes.AutoString(length=320), nullable=False),
        sa.Column('password_hash', sqlmodel.sql.sqltypes.AutoString(length=256), nullable=False),
        sa.Column('role', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column('region', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True),
        sa.Column('language', sqlmodel.sql.sqltypes.AutoString(length=2), nullable=False),
        sa.Column('totp_secret', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column('disabled', sa.Boolean(), nullable=False),
        sa.Column('created_at', models.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('email'),
    )
    op.create_table(
        'web_session',
        sa.Column('id_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column('account_id', sa.Integer(), nullable=False),
        sa.Column('csrf', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column('stage', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column('created_at', models.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column('seen_at', models.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column('ended_at', models.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['account_id'], ['web_account.id']),
        sa.PrimaryKeyConstraint('id_hash'),
    )
    with op.batch_alter_table('web_session', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_web_session_account_id'), ['account_id'], unique=False)
    op.create_table(
        'login_throttle',
        sa.Column('key', sqlmodel.sql.sqltypes.AutoString(length=400), nullable=False),
        sa.Column('failures', sa.Integer(), nullable=False),
        sa.Column('blocked_until', models.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column('updated_at', models.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('key'),
    )
    for statement in ddl(op.get_bind().dialect.name):
        op.execute(statement)


def downgrade() -> None:
    for statement in ddl(op.get_bind().dialect.name, drop=True):
        op.execute(statement)
    op.drop_table('login_throttle')
    with op.batch_alter_table('web_session', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_web_session_account_id'))
    op.drop_table('web_session')
    op.drop_table('web_account')
