"""encryption at rest: personal columns hold ciphertext, lookups go through keyed hashes

The personal columns become text holding `v1:<key id>:…` tokens (core.crypto); the reporter
is found by `address_hash`, a notification's recipient by `recipient_hash`, related cases by
the keyed hash in `case_entity.value`, a dialogue by the keyed hash of its aiogram key.

Existing rows are encrypted and hashed here, under the keyring the composition root installed
(`shagym db upgrade`, `shagym run`); a store holding rows with no keyring installed stops with
a message instead of leaving plain values behind. Attachment files on disk are not touched
here (the migration does not know ATTACHMENTS_DIR): they are read as they are, and
`shagym keys rotate` encrypts them.

Revision ID: 0009
Revises: 0004
Create Date: 2026-12-03 10:30:00
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from alembic import op

from core.crypto import Keyring, installed_keyring
from models.search import rebuilt_after_batch
from models.types import UTCDateTime

revision = '0009'
down_revision = '0007'
branch_labels = None
depends_on = None

SIMHASH_KIND = 'sim'


def _text(table: str, column: str, nullable: bool, old: Any) -> None:
    """Widen a column to TEXT (ciphertext is longer than the value; JSON becomes a token)."""
    with op.batch_alter_table(table) as batch:
        extra = {}
        if op.get_bind().dialect.name == 'postgresql':
            extra['postgresql_using'] = f'{column}::text'
        batch.alter_column(column, type_=sa.Text(), existing_type=old,
                           existing_nullable=nullable, **extra)


def _rows(table: str, columns: list[str], key: str = 'id') -> list[Any]:
    cols = ', '.join([key, *columns])
    quoted = f'"{table}"'
    return list(op.get_bind().execute(sa.text(f'SELECT {cols} FROM {quoted}')))


def _rewrite(table: str, key: str, columns: list[str], change: Callable[[Any], dict[str, Any]]
             ) -> None:
    rows = _rows(table, columns, key)
    if not rows:
        return
    sets = ', '.join(f'{c} = :{c}' for c in change(rows[0]))
    statement = sa.text(f'UPDATE "{table}" SET {sets} WHERE {key} = :_key')
    op.get_bind().execute(statement, [{**change(row), '_key': row[0]} for row in rows])


def _reporter_0004() -> sa.Table:
    return sa.Table(
        'reporter', sa.MetaData(),
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('channel', sa.String(16), nullable=False),
        sa.Column('address', sa.String(320), nullable=False),
        sa.Column('language', sa.String(2), nullable=True),
        sa.Column('contact_phone', sa.String(32), nullable=True),
        sa.Column('contact_email', sa.String(320), nullable=True),
        sa.Column('blocked', sa.Boolean(), nullable=False),
        sa.Column('created_at', UTCDateTime(timezone=True), nullable=False),
    )


def _keyring() -> Keyring:
    ring = installed_keyring()
    if ring is None:
        raise RuntimeError(
            'migration 0009 encrypts the rows already stored and needs the keys: run it with '
            '`shagym db upgrade` (DATA_KEY, HASH_KEY or their files)'
        )
    return ring


def _has_rows() -> bool:
    tables = ('reporter', 'notification', 'inbound_email', 'telegram_update', 'fsm_state',
              'case', 'message', 'attachment')
    return any(op.get_bind().execute(sa.text(f'SELECT 1 FROM "{t}" LIMIT 1')).first()
               for t in tables)


def _seal(ring: Keyring, value: str | None) -> str | None:
    return None if value is None else ring.encrypt_text(value)


def _open(ring: Keyring, value: str | None) -> str | None:
    return None if value is None else ring.decrypt_text(value)


def _encrypt_rows(ring: Keyring) -> None:
    _rewrite('reporter', 'id', ['address', 'contact_phone', 'contact_email'], lambda r: {
        'address': _seal(ring, r[1]), 'address_hash': ring.hash(r[1]),
        'contact_phone': _seal(ring, r[2]), 'contact_email': _seal(ring, r[3])})
    _rewrite('case', 'id', ['entities'], lambda r: {'entities': _seal(ring, r[1])})
    _rewrite('case_entity', 'id', ['kind', 'value'], lambda r: {
        'value': r[2] if r[1] == SIMHASH_KIND else ring.hash(r[2])})
    _rewrite('message', 'id', ['raw_text'], lambda r: {'raw_text': _seal(ring, r[1])})
    _rewrite('attachment', 'id', ['original_name'],
             lambda r: {'original_name': _seal(ring, r[1])})
    _rewrite('notification', 'id',
             ['recipient', 'payload', 'last_error', 'idempotency_key', 'result'], lambda r: {
        'recipient': _seal(ring, r[1]), 'recipient_hash': ring.hash(r[1]),
        'payload': _seal(ring, r[2]), 'last_error': _seal(ring, r[3]),
        'result': _seal(ring, r[5]),
        # "<ref>:<kind>:<channel>:<recipient>": the recipient becomes its hash (models.outbox)
        'idempotency_key': r[4][: len(r[4]) - len(r[1])] + ring.hash(r[1])[:32]})
    _rewrite('telegram_update', 'update_id', ['payload'],
             lambda r: {'payload': _seal(ring, r[1])})
    rows = _rows('fsm_state', ['state', 'data', 'updated_at'], 'key')
    op.execute('DELETE FROM fsm_state')
    if rows:
        op.get_bind().execute(
            sa.text('INSERT INTO fsm_state (key, state, data, updated_at) '
                    'VALUES (:key, :state, :data, :updated_at)'),
            [{'key': ring.hash(r[0]), 'state': r[1], 'data': _seal(ring, r[2]),
              'updated_at': r[3]} for r in rows])
    raws = list(op.get_bind().execute(sa.text('SELECT id, raw FROM inbound_email')))
    if raws:
        op.get_bind().execute(
            sa.text('UPDATE inbound_email SET raw = :raw WHERE id = :id'),
            [{'id': r[0], 'raw': ring.encrypt_bytes(bytes(r[1]))} for r in raws])


def upgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        op.drop_constraint('reporter_channel_address_key', 'reporter', type_='unique')
        op.add_column('reporter', sa.Column('address_hash', sa.String(64), nullable=True))
    else:
        # SQLite: the table is copied from this definition, which leaves out the old unnamed
        # UNIQUE (channel, address) (batch mode cannot drop an unnamed constraint).
        with op.batch_alter_table('reporter', copy_from=_reporter_0004()) as batch:
            batch.add_column(sa.Column('address_hash', sa.String(64), nullable=True))
    for table, column, nullable, old in (
        ('reporter', 'address', False, sa.String(320)),
        ('reporter', 'contact_phone', True, sa.String(32)),
        ('reporter', 'contact_email', True, sa.String(320)),
        ('case', 'entities', False, sa.JSON()),
        ('attachment', 'original_name', True, sa.String(512)),
        ('notification', 'recipient', False, sa.String(320)),
        ('notification', 'payload', False, sa.JSON()),
        ('notification', 'result', False, sa.JSON()),
        ('telegram_update', 'payload', False, sa.JSON()),
        ('fsm_state', 'data', False, sa.JSON()),
    ):
        _text(table, column, nullable, old)
    with op.batch_alter_table('notification') as batch:
        batch.add_column(sa.Column('recipient_hash', sa.String(64), nullable=True))
    with op.batch_alter_table('case') as batch:
        batch.add_column(sa.Column('purged_at', UTCDateTime(timezone=True), nullable=True))
    if _has_rows():
        _encrypt_rows(_keyring())
    with op.batch_alter_table('reporter') as batch:
        batch.alter_column('address', existing_type=sa.Text(), nullable=True)
        batch.alter_column('address_hash', existing_type=sa.String(64), nullable=False)
        batch.create_unique_constraint('uq_reporter_channel_address_hash',
                                       ['channel', 'address_hash'])
    with op.batch_alter_table('notification') as batch:
        batch.alter_column('recipient_hash', existing_type=sa.String(64), nullable=False)
        batch.drop_index('ix_notification_recipient')
        batch.create_index('ix_notification_recipient',
                           ['recipient_hash', 'kind', 'created_at'], unique=False)
    # Batch mode copied `case` on SQLite, which drops the web console's full-text triggers.
    for statement in rebuilt_after_batch(op.get_bind().dialect.name):
        op.execute(statement)


def _decrypt_rows(ring: Keyring) -> None:
    _rewrite('reporter', 'id', ['address', 'contact_phone', 'contact_email'], lambda r: {
        'address': _open(ring, r[1]) or f'forgotten:{r[0]}',
        'contact_phone': _open(ring, r[2]), 'contact_email': _open(ring, r[3])})
    _rewrite('case', 'id', ['entities'], lambda r: {'entities': _open(ring, r[1])})
    _rewrite('message', 'id', ['raw_text'], lambda r: {'raw_text': _open(ring, r[1])})
    _rewrite('attachment', 'id', ['original_name'],
             lambda r: {'original_name': _open(ring, r[1])})
    _rewrite('notification', 'id', ['recipient', 'payload', 'last_error', 'result'], lambda r: {
        'recipient': _open(ring, r[1]), 'payload': _open(ring, r[2]),
        'last_error': _open(ring, r[3]), 'result': _open(ring, r[4])})
    _rewrite('telegram_update', 'update_id', ['payload'],
             lambda r: {'payload': _open(ring, r[1])})
    # A dialogue's key cannot be unhashed: dialogues in progress start again.
    op.execute('DELETE FROM fsm_state')
    raws = list(op.get_bind().execute(sa.text('SELECT id, raw FROM inbound_email')))
    if raws:
        op.get_bind().execute(
            sa.text('UPDATE inbound_email SET raw = :raw WHERE id = :id'),
            [{'id': r[0], 'raw': ring.decrypt_bytes(bytes(r[1]))} for r in raws])
    # case_entity keeps its hashes: the links already made stay, new ones match only new keys.


def downgrade() -> None:
    if _has_rows():
        _decrypt_rows(_keyring())
    with op.batch_alter_table('case') as batch:
        batch.drop_column('purged_at')
    with op.batch_alter_table('notification') as batch:
        batch.drop_index('ix_notification_recipient')
        batch.create_index('ix_notification_recipient', ['recipient', 'kind', 'created_at'],
                           unique=False)
        batch.drop_column('recipient_hash')
    with op.batch_alter_table('reporter') as batch:
        batch.drop_constraint('uq_reporter_channel_address_hash', type_='unique')
        batch.drop_column('address_hash')
        batch.alter_column('address', existing_type=sa.Text(), nullable=False)
        batch.create_unique_constraint('reporter_channel_address_key', ['channel', 'address'])
    json_back = {'postgresql_using': None}
    for table, column, new in (('case', 'entities', sa.JSON()),
                               ('notification', 'payload', sa.JSON()),
                               ('notification', 'result', sa.JSON()),
                               ('telegram_update', 'payload', sa.JSON()),
                               ('fsm_state', 'data', sa.JSON())):
        with op.batch_alter_table(table) as batch:
            if op.get_bind().dialect.name == 'postgresql':
                json_back['postgresql_using'] = f'{column}::json'
                batch.alter_column(column, type_=new, existing_type=sa.Text(),
                                   postgresql_using=json_back['postgresql_using'])
            else:
                batch.alter_column(column, type_=new, existing_type=sa.Text())
    # Batch mode copied `case` on SQLite, which drops the web console's full-text triggers.
    for statement in rebuilt_after_batch(op.get_bind().dialect.name):
        op.execute(statement)
