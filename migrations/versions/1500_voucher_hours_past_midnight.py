"""vouchers.hours: a voucher's hours may run past midnight (18:00 to 01:00, a night market);
only an empty window (closing when it opens) is refused

Revision ID: 1500
Revises: 1400
Create Date: 2026-12-06 05:45:00.000000

"""
from alembic import op

# revision identifiers, used by Alembic.
revision = '1500'
down_revision = '1400'
branch_labels = None
depends_on = None

PAST_MIDNIGHT = (
    "(opens IS NULL AND closes IS NULL) OR (opens BETWEEN 0 AND 1439 AND closes BETWEEN 0 AND 1440 "
    "AND closes <> opens)"
)
SAME_DAY = (
    "(opens IS NULL AND closes IS NULL) OR (opens BETWEEN 0 AND 1439 AND closes BETWEEN 1 AND 1440 "
    "AND closes > opens)"
)


def _hours(condition: str) -> None:
    # SQLite cannot alter a constraint: the batch copies the table with the new one.
    with op.batch_alter_table('vouchers', recreate='auto') as batch:
        batch.drop_constraint(op.f('ck_vouchers_hours'), type_='check')
        batch.create_check_constraint('hours', condition)


def upgrade():
    _hours(PAST_MIDNIGHT)


def downgrade():
    # A window past midnight cannot be kept: it becomes the evening's part, to midnight.
    op.execute("UPDATE vouchers SET closes = 1440 WHERE opens IS NOT NULL AND closes < opens")
    _hours(SAME_DAY)
