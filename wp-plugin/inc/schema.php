<?php
/**
 * The plugin's tables, created and upgraded with dbDelta, and a version option to know when.
 *
 * @package automationtools-ai
 */

namespace ATAI\Schema;

/** Bump when a CREATE TABLE below changes; the next page load runs dbDelta. */
const VERSION = '8';

const VERSION_OPTION = 'atai_db_version';

/**
 * The feeds table name.
 *
 * @since 0.1.0
 */
function feeds_table(): string {
	global $wpdb;
	return $wpdb->prefix . 'atai_feeds';
}

/**
 * The item ledger table name.
 *
 * @since 0.1.0
 */
function items_table(): string {
	global $wpdb;
	return $wpdb->prefix . 'atai_items';
}

/**
 * The table of callback signatures already accepted (each is accepted once).
 *
 * @since 0.1.0
 */
function seen_callbacks_table(): string {
	global $wpdb;
	return $wpdb->prefix . 'atai_seen_callbacks';
}

/**
 * The run history table: one row per finished run of a feed (inc/run-log.php).
 *
 * @since 0.3.0
 */
function runs_table(): string {
	global $wpdb;
	return $wpdb->prefix . 'atai_runs';
}

/**
 * The table of images copied into the media library: one row per image URL, the attachment it gave.
 *
 * @since 0.2.0
 */
function media_table(): string {
	global $wpdb;
	return $wpdb->prefix . 'atai_media';
}

/**
 * The table of the publishing pace: posts scheduled per day, per feed and for the site.
 *
 * @since 0.2.0
 */
function pace_table(): string {
	global $wpdb;
	return $wpdb->prefix . 'atai_pace';
}

/**
 * The table of drafts waiting for review: the source each was made from, for the review screen.
 *
 * @since 0.2.0
 */
function reviews_table(): string {
	global $wpdb;
	return $wpdb->prefix . 'atai_reviews';
}

/**
 * The table of what each item's model calls cost, one row per item and run.
 *
 * @since 0.2.0
 */
function costs_table(): string {
	global $wpdb;
	return $wpdb->prefix . 'atai_costs';
}

/**
 * The CREATE TABLE statements, in dbDelta's format (two spaces after PRIMARY KEY, one column a line).
 *
 * Times are UTC. item_key is the worker's sha256 hex key; its UNIQUE index is what makes imports idempotent.
 *
 * @since 0.1.0
 *
 * @return string[]
 */
function statements(): array {
	global $wpdb;
	$charset = $wpdb->get_charset_collate();
	$feeds   = feeds_table();
	$items   = items_table();
	$seen    = seen_callbacks_table();
	$runs    = runs_table();
	$media   = media_table();
	$pace    = pace_table();
	$reviews = reviews_table();
	$costs   = costs_table();
	return array(
		"CREATE TABLE {$feeds} (
  id bigint(20) unsigned NOT NULL AUTO_INCREMENT,
  url varchar(2048) NOT NULL,
  title varchar(255) NOT NULL DEFAULT '',
  status varchar(20) NOT NULL DEFAULT 'active',
  post_status varchar(20) NOT NULL DEFAULT 'draft',
  author_id bigint(20) unsigned NOT NULL DEFAULT 0,
  category_id bigint(20) unsigned NOT NULL DEFAULT 0,
  max_posts smallint(5) unsigned NOT NULL DEFAULT 10,
  check_interval int(10) unsigned NOT NULL DEFAULT 3600,
  options longtext,
  next_run_at datetime DEFAULT NULL,
  last_run_at datetime DEFAULT NULL,
  last_status varchar(20) NOT NULL DEFAULT '',
  last_error_code varchar(64) NOT NULL DEFAULT '',
  last_error text,
  etag varchar(1024) DEFAULT NULL,
  last_modified varchar(128) DEFAULT NULL,
  entries_deferred int(10) unsigned NOT NULL DEFAULT 0,
  failed_runs int(10) unsigned NOT NULL DEFAULT 0,
  failing_since datetime DEFAULT NULL,
  last_http_status smallint(5) unsigned NOT NULL DEFAULT 0,
  note text,
  run_id varchar(32) DEFAULT NULL,
  run_started_at datetime DEFAULT NULL,
  collect_owed tinyint(1) NOT NULL DEFAULT 0,
  created_at datetime NOT NULL,
  PRIMARY KEY  (id),
  KEY due (status,next_run_at),
  KEY run_id (run_id)
) {$charset};",
		"CREATE TABLE {$items} (
  id bigint(20) unsigned NOT NULL AUTO_INCREMENT,
  item_key char(64) NOT NULL,
  feed_id bigint(20) unsigned NOT NULL,
  run_id varchar(32) NOT NULL DEFAULT '',
  guid varchar(2048) NOT NULL DEFAULT '',
  link varchar(2048) NOT NULL DEFAULT '',
  title varchar(300) NOT NULL DEFAULT '',
  state varchar(16) NOT NULL DEFAULT 'queued',
  post_id bigint(20) unsigned NOT NULL DEFAULT 0,
  attempts smallint(5) unsigned NOT NULL DEFAULT 0,
  retryable tinyint(1) NOT NULL DEFAULT 1,
  error_code varchar(64) NOT NULL DEFAULT '',
  error_message text,
  retry_at datetime DEFAULT NULL,
  notes text,
  source_hash char(64) NOT NULL DEFAULT '',
  source_changed_at datetime DEFAULT NULL,
  created_at datetime NOT NULL,
  updated_at datetime NOT NULL,
  PRIMARY KEY  (id),
  UNIQUE KEY item_key (item_key),
  KEY feed_state (feed_id,state),
  KEY run_id (run_id)
) {$charset};",
		"CREATE TABLE {$seen} (
  signature char(64) NOT NULL,
  expires_at datetime NOT NULL,
  PRIMARY KEY  (signature),
  KEY expires_at (expires_at)
) {$charset};",
		"CREATE TABLE {$runs} (
  id bigint(20) unsigned NOT NULL AUTO_INCREMENT,
  feed_id bigint(20) unsigned NOT NULL,
  run_id varchar(32) NOT NULL DEFAULT '',
  started_at datetime DEFAULT NULL,
  finished_at datetime NOT NULL,
  state varchar(20) NOT NULL DEFAULT '',
  fetch_result varchar(20) NOT NULL DEFAULT '',
  http_status smallint(5) unsigned NOT NULL DEFAULT 0,
  entries_new int(10) unsigned NOT NULL DEFAULT 0,
  items_skipped int(10) unsigned NOT NULL DEFAULT 0,
  items_posted int(10) unsigned NOT NULL DEFAULT 0,
  items_held int(10) unsigned NOT NULL DEFAULT 0,
  items_failed int(10) unsigned NOT NULL DEFAULT 0,
  entries_deferred int(10) unsigned NOT NULL DEFAULT 0,
  error_code varchar(64) NOT NULL DEFAULT '',
  error_message text,
  PRIMARY KEY  (id),
  KEY feed_finished (feed_id,finished_at)
) {$charset};",
		...\ATAI\Dedupe\statements( $charset ),
		...\ATAI\Skips\statements( $charset ),
		"CREATE TABLE {$media} (
  url_hash char(64) NOT NULL,
  content_hash char(64) NOT NULL,
  attachment_id bigint(20) unsigned NOT NULL,
  sizes_pending tinyint(1) NOT NULL DEFAULT 0,
  PRIMARY KEY  (url_hash),
  KEY content_hash (content_hash),
  KEY sizes_pending (sizes_pending)
) {$charset};",
		"CREATE TABLE {$pace} (
  scope varchar(32) NOT NULL,
  day date NOT NULL,
  posts int(10) unsigned NOT NULL DEFAULT 0,
  last_at datetime DEFAULT NULL,
  PRIMARY KEY  (scope,day)
) {$charset};",
		"CREATE TABLE {$reviews} (
  item_key char(64) NOT NULL,
  feed_id bigint(20) unsigned NOT NULL,
  post_id bigint(20) unsigned NOT NULL,
  source_html mediumtext,
  created_at datetime NOT NULL,
  PRIMARY KEY  (item_key),
  KEY feed_id (feed_id),
  KEY post_id (post_id)
) {$charset};",
		"CREATE TABLE {$costs} (
  item_key char(64) NOT NULL,
  run_id varchar(32) NOT NULL,
  feed_id bigint(20) unsigned NOT NULL,
  post_id bigint(20) unsigned NOT NULL DEFAULT 0,
  month char(7) NOT NULL,
  model varchar(200) NOT NULL DEFAULT '',
  prompt_tokens int(10) unsigned NOT NULL DEFAULT 0,
  completion_tokens int(10) unsigned NOT NULL DEFAULT 0,
  cost_micros bigint(20) unsigned NOT NULL DEFAULT 0,
  unpriced tinyint(1) NOT NULL DEFAULT 0,
  created_at datetime NOT NULL,
  PRIMARY KEY  (item_key,run_id),
  KEY month_feed (month,feed_id)
) {$charset};",
	);
}

/**
 * Create or upgrade the tables, add the secret option rows, record the schema version.
 *
 * @since 0.1.0
 */
function install(): void {
	require_once ABSPATH . 'wp-admin/includes/upgrade.php';
	dbDelta( statements() );
	\ATAI\Settings\add_secret_rows();
	update_option( VERSION_OPTION, VERSION );
}

/**
 * Run install() when the stored schema version differs (an update without re-activation).
 *
 * @since 0.1.0
 */
function upgrade_if_needed(): void {
	if ( get_option( VERSION_OPTION ) !== VERSION ) {
		install();
	}
}

/**
 * Every table of the plugin on the current site.
 *
 * @since 0.2.0
 *
 * @return string[]
 */
function table_names(): array {
	return array( feeds_table(), items_table(), seen_callbacks_table(), \ATAI\Dedupe\identities_table(), \ATAI\Dedupe\bands_table(), \ATAI\Skips\skips_table(), runs_table(), reviews_table(), costs_table(), media_table(), pace_table() );
}

/**
 * Drop the tables (uninstall only).
 *
 * @since 0.1.0
 */
function drop_tables(): void {
	global $wpdb;
	// phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared,WordPress.DB.DirectDatabaseQuery.SchemaChange -- table names are ours; uninstall removes them.
	$wpdb->query( 'DROP TABLE IF EXISTS ' . implode( ', ', table_names() ) );
}
