"""audit findings: what the registry audit turned into cases

Revision ID: 0007
Revises: 0004
Create Date: 2026-12-03 10:30:00
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel
import models.types


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('audit_finding',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('rule', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('key', sqlmodel.sql.sqltypes.AutoString(length=512), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.Column('evidence', sa.JSON(), nullable=False),
    sa.Column('created_at', models.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', models.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['case.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('rule', 'key')
    )
    op.create_index(op.f('ix_audit_finding_case_id'), 'audit_finding', ['case_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_audit_finding_case_id'), table_name='audit_finding')
    op.drop_table('audit_finding')
