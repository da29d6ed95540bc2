"""The column classifier on real column names of the corpus schemas (Pagila, Chinook, Lago, OpenStreetMap,
MusicBrainz, the MySQL employees sample, Guacamole), each with the kind a reader expects, written by hand."""

from __future__ import annotations

import re
from collections import defaultdict

from dbaudit.seed.semantics import classify_table, tokens

# table.column  type  expected kind.  A type is the seeder's type kind, with the length of short text.
CORPUS_COLUMNS = """
customer.first_name str first_name
customer.last_name str last_name
customer.email str email
customer.activebool bool boolean
customer.create_date date timestamp
customer.last_update datetime timestamp
customer.active int boolean
actor.first_name str first_name
actor.last_name str last_name
category.name str name
film.title str title
film.description str description
film.release_year int year
film.rental_duration int duration
film.rental_rate decimal money
film.length int duration
film.replacement_cost decimal money
address.address str street
address.address2 str street2
address.district str region
address.postal_code str postcode
address.phone str phone
city.city str city
country.country str country
language.name str(20) language
payment.amount decimal money
payment.payment_date datetime timestamp
rental.rental_date datetime timestamp
rental.return_date datetime timestamp
staff.email str email
staff.active bool boolean
staff.username str username
staff.password str password
Album.Title str(160) title
Artist.Name str(120) full_name
Customer.FirstName str(40) first_name
Customer.LastName str(20) last_name
Customer.Company str(80) company
Customer.Address str(70) street
Customer.City str(40) city
Customer.State str(40) region
Customer.Country str(40) country
Customer.PostalCode str(10) postcode
Customer.Phone str(24) phone
Customer.Fax str(24) phone
Customer.Email str(60) email
Employee.LastName str(20) last_name
Employee.FirstName str(20) first_name
Employee.Title str(30) job
Employee.BirthDate datetime birth_date
Employee.HireDate datetime hire_date
Employee.Address str(70) street
Employee.City str(40) city
Employee.State str(40) region
Employee.Country str(40) country
Employee.PostalCode str(10) postcode
Employee.Phone str(24) phone
Employee.Email str(60) email
Genre.Name str(120) name
Invoice.InvoiceDate datetime timestamp
Invoice.BillingAddress str(70) street
Invoice.BillingCity str(40) city
Invoice.BillingState str(40) region
Invoice.BillingCountry str(40) country
Invoice.BillingPostalCode str(10) postcode
Invoice.Total decimal money
InvoiceLine.UnitPrice decimal money
InvoiceLine.Quantity int quantity
MediaType.Name str(120) name
Playlist.Name str(120) name
Track.Name str(200) title
Track.Composer str(220) full_name
Track.Milliseconds int duration
Track.Bytes int file_size
Track.UnitPrice decimal money
billing_entities.address_line1 str street
billing_entities.address_line2 str street2
billing_entities.city str city
billing_entities.country str country
billing_entities.zipcode str postcode
billing_entities.state str region
billing_entities.email str email
billing_entities.phone str phone
billing_entities.timezone str timezone
billing_entities.default_currency str currency_code
billing_entities.document_locale str locale
billing_entities.document_number_prefix str code
billing_entities.invoice_footer str note
billing_entities.invoice_grace_period int duration
billing_entities.legal_name str company
billing_entities.legal_number str code
billing_entities.net_payment_term int duration
billing_entities.tax_identification_number str code
billing_entities.vat_rate float percent
add_ons.amount_cents int money
add_ons.amount_currency str currency_code
add_ons.description str description
add_ons.deleted_at datetime timestamp
subscriptions.billing_anchor_date date timestamp
subscriptions.ending_at datetime timestamp
rate_card_rates.billing_interval_count int count
rate_card_rates.effective_from datetime timestamp
active_storage_blobs.byte_size int file_size
active_storage_blobs.checksum str hash
active_storage_blobs.content_type str mime_type
active_storage_blobs.filename str file_name
active_storage_blobs.service_name str name
active_storage_attachments.name str name
active_storage_attachments.created_at datetime timestamp
template_public_enriched_events.code str code
applied_pricing_units.conversion_rate decimal exchange_rate
wallet_transactions.credit_amount decimal money
wallet_transactions.lock_version int version
wallet_transactions.name str(255) name
wallet_transactions.priority int position
wallets.credits_balance decimal money
wallets.ongoing_balance_cents int money
wallets.rate_amount decimal money
wallets.expiration_at datetime expiry_date
customers.currency str currency_code
customers.firstname str first_name
customers.lastname str last_name
customers.logo_url str url
customers.shipping_city str city
customers.shipping_country str country
customers.shipping_state str region
customers.shipping_zipcode str postcode
customers.slug str slug
customers.url str url
dunning_campaigns.days_between_attempts int duration
dunning_campaigns.max_attempts int count
applied_invoice_custom_sections.display_name str name
subscription_rate_cards.ended_at datetime timestamp
webhooks.endpoint str url
webhooks.retries int count
payments.error_code str code
payments.reference str code
payments.status str status
inbound_webhooks.event_type str category
inbound_webhooks.signature str hash
inbound_webhooks.source str category
fees.events_count int count
fees.precise_amount_cents decimal money
password_resets.expire_at datetime expiry_date
api_keys.expires_at datetime expiry_date
api_keys.last_used_at datetime timestamp
integration_items.external_name str name
user_devices.fingerprint str hash
user_devices.last_ip_address str ipv4
user_devices.device_type str category
user_devices.browser str browser
user_devices.os str os
webhooks.http_status int http_status
applied_coupons.status int enum_code
credit_notes.reason int enum_code
recurring_transaction_rules.method int enum_code
applied_coupons.frequency_duration int duration
applied_coupons.percentage_rate decimal percent
applied_coupons.terminated_at datetime timestamp
daily_usages.from_datetime datetime timestamp
daily_usages.to_datetime datetime timestamp
daily_usages.usage_date date timestamp
organizations.hmac_key str token
organizations.webhook_url str url
credit_notes.issuing_date date timestamp
credit_notes.number str code
credit_notes.refunded_at datetime timestamp
credit_notes.taxes_rate float percent
credit_notes.total_amount_cents int money
credit_notes_taxes.tax_code str code
credit_notes_taxes.tax_name str name
credit_notes_taxes.tax_rate float percent
pending_vies_checks.last_error_message str note
users.password_digest str password
invoices.payment_attempts int count
invoices.payment_due_date date due_date
rate_phases.position int position
refunds.reason str note
integrations.secrets str token
pricing_unit_usages.short_name str name
data_exports.started_at datetime timestamp
subscription_activation_rules.timeout_hours int duration
invites.token str token
plans.trial_period float duration
payment_provider_customers.type str category
adjusted_fees.unit_amount_cents int money
adjusted_fees.units decimal quantity
schema_migrations.version str version
webhooks.webhook_type str category
acls.domain str hostname
changeset_comments.body str description
changesets.closed_at datetime timestamp
changesets.max_lat int latitude
changesets.min_lon int longitude
changesets.num_changes int count
diary_entries.language_code str language_code
diary_entries.latitude float latitude
diary_entries.longitude float longitude
diary_entries.title str title
delayed_jobs.attempts int count
delayed_jobs.last_error str note
delayed_jobs.priority int position
delayed_jobs.run_at datetime timestamp
gpx_files.size int file_size
gpx_files.description str description
gpx_files.name str file_name
gpx_file_tags.tag str label
languages.code str language_code
languages.english_name str language
languages.native_name str language
messages.body str description
messages.title str title
messages.sent_on datetime timestamp
moderation_zones.reason str note
moderation_zones.ends_at datetime timestamp
notes.description str description
noticed_events.notifications_count int count
oauth_access_grants.expires_in int duration
oauth_access_grants.redirect_uri str url
oauth_access_grants.token str token
oauth_access_tokens.refresh_token str token
oauth_applications.secret str token
oauth_openid_requests.nonce str token
reports.category str category
reports.details str description
social_links.url str url
user_blocks.reason str note
user_blocks.ends_at datetime timestamp
issues.reports_count int count
current_nodes.version int version
current_nodes.timestamp datetime timestamp
users.email str email
users.pass_crypt str password
users.pass_salt str hash
users.creation_time datetime timestamp
users.display_name str full_name
users.description str description
users.home_lat float latitude
users.home_lon float longitude
users.new_email str email
users.terms_agreed datetime timestamp
users.changesets_count int count
users.traces_count int count
users.auth_provider str category
users.home_location_name str name
users.company str company
employees.birth_date date birth_date
employees.first_name str(14) first_name
employees.last_name str(16) last_name
employees.hire_date date hire_date
departments.dept_name str(40) name
salaries.salary int money
salaries.from_date date timestamp
salaries.to_date date timestamp
titles.title str(50) job
guacamole_connection.connection_name str(128) name
guacamole_connection.max_connections int quantity
guacamole_connection.proxy_hostname str(512) hostname
guacamole_connection.proxy_port int port
guacamole_connection_attribute.attribute_name str(128) name
guacamole_connection_history.remote_host str(256) hostname
guacamole_connection_history.start_date datetime timestamp
guacamole_connection_history.end_date datetime timestamp
guacamole_connection_history.username str(128) username
guacamole_user.email_address str(256) email
guacamole_user.full_name str(256) full_name
guacamole_user.organization str(256) company
guacamole_user.password_date datetime timestamp
guacamole_user.timezone str(64) timezone
guacamole_user.valid_from date timestamp
guacamole_user.valid_until date timestamp
guacamole_user.disabled bool boolean
guacamole_sharing_profile.sharing_profile_name str(128) name
artist.begin_date_year int year
artist.begin_date_month int month
artist.begin_date_day int day_of_month
artist.comment str(255) note
artist.edits_pending int count
artist.last_updated datetime timestamp
artist.ended bool boolean
artist.name str full_name
editor.bio str description
editor.birth_date date birth_date
editor.email str(64) email
editor.last_login_date datetime timestamp
editor.member_since datetime timestamp
editor.name str(64) full_name
editor.password str(128) password
editor.website str(255) url
editor_collection.description str description
editor_collection.name str name
event.cancelled bool boolean
genre.name str name
instrument.description str description
iso_3166_1.code str(2) country_code
isrc.isrc str(12) code
release.barcode str(255) sku
release.name str title
recording.name str title
recording.length int duration
language.iso_code_1 str(2) language_code
language.iso_code_3 str(3) language_code
medium.position int position
medium.track_count int count
place.address str street
track.name str title
track.number str code
track.position int position
track.is_data_track bool boolean
series.name str name
script.iso_code str(4) code
tag.name str(255) label
tag.ref_count int count
url.url str url
vote.vote_time datetime timestamp
annotation.text str description
annotation.changelog str(255) note
application.name str name
application.oauth_redirect_uri str url
application.oauth_secret str token
cdtoc.track_count int count
edit.close_time datetime timestamp
edit.expire_time datetime expiry_date
edit_note.text str note
"""

_TYPE = re.compile(r"(\w+)(?:\((\d+)\))?$")


def _cases() -> list[tuple[str, str, str, int | None, str]]:
    out = []
    for line in CORPUS_COLUMNS.strip().splitlines():
        name, type_text, expected = line.split()
        table, column = name.split(".")
        match = _TYPE.match(type_text)
        assert match, line
        length = int(match.group(2)) if match.group(2) else None
        out.append((table, column, match.group(1), length, expected))
    return out


def test_the_table_holds_at_least_200_distinct_real_column_names() -> None:
    cases = _cases()
    assert len(cases) >= 200
    assert len({(t, c) for t, c, *_ in cases}) == len(cases)


def test_classifier_on_real_column_names() -> None:
    by_table: dict[str, dict[str, tuple[str, int | None]]] = defaultdict(dict)
    for table, column, kind, length, _ in _cases():
        by_table[table][column] = (kind, length)
    wrong = []
    for table, column, _kind, _length, expected in _cases():
        got = classify_table(table, by_table[table])[column].kind
        if got != expected:
            wrong.append(f"{table}.{column}: {got}, expected {expected}")
    assert not wrong, f"{len(wrong)} of {len(_cases())} misclassified:\n" + "\n".join(wrong)


def test_names_split_in_snake_and_camel_case_with_plurals_and_abbreviations() -> None:
    assert tokens("InvoiceLineId") == ("invoice", "line", "id")
    assert tokens("unit_prices") == ("unit", "price")
    assert tokens("maxQty") == ("max", "quantity")
    assert tokens("categories") == ("category",)
    assert tokens("status") == ("status",)
    assert tokens("HTTPStatus") == ("http", "status")
