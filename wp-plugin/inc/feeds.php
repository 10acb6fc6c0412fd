<?php
/**
 * Feeds: the sources a site owner configured, in the {prefix}atai_feeds table: their fields, how
 * each is checked, and adding, changing, deleting and listing them.
 *
 * A feed is passed around as an ATAI\Feed (class-feed.php), which maps its columns to its fields.
 * The same row carries the state of the feed's runs; run-state.php writes those columns.
 *
 * @package automationtools-ai
 */

namespace ATAI\Feeds;

use ATAI\Clock;
use ATAI\Feed;
use ATAI\Feed_Options;
use ATAI\Schema;
use WP_Error;

const STATUSES      = array( 'active', 'paused' );
const POST_STATUSES = array( 'draft', 'publish', 'pending', 'private' );

const MAX_POSTS_MIN     = 1;
const MAX_POSTS_MAX     = 100;
const DEFAULT_MAX_POSTS = 10;

/**
 * Check interval labels by key.
 *
 * @since 0.1.0
 *
 * @return array<string, string>
 */
function interval_labels(): array {
	return array(
		'15min'   => __( 'Every 15 minutes', 'automationtools-ai' ),
		'30min'   => __( 'Every 30 minutes', 'automationtools-ai' ),
		'hourly'  => __( 'Hourly', 'automationtools-ai' ),
		'2hours'  => __( 'Every 2 hours', 'automationtools-ai' ),
		'6hours'  => __( 'Every 6 hours', 'automationtools-ai' ),
		'12hours' => __( 'Every 12 hours', 'automationtools-ai' ),
		'daily'   => __( 'Daily', 'automationtools-ai' ),
	);
}

/**
 * Post status labels by status.
 *
 * @since 0.1.0
 *
 * @return array<string, string>
 */
function post_status_labels(): array {
	return array(
		'draft'   => __( 'Draft', 'automationtools-ai' ),
		'publish' => __( 'Published', 'automationtools-ai' ),
		'pending' => __( 'Pending review', 'automationtools-ai' ),
		'private' => __( 'Private', 'automationtools-ai' ),
	);
}

/**
 * A field's label, for messages.
 *
 * @since 0.1.0
 */
function field_label( string $field ): string {
	$labels = array(
		'url'         => __( 'Feed URL', 'automationtools-ai' ),
		'title'       => __( 'Title', 'automationtools-ai' ),
		'status'      => __( 'Status', 'automationtools-ai' ),
		'post_status' => __( 'Post status', 'automationtools-ai' ),
		'author'      => __( 'Author', 'automationtools-ai' ),
		'category'    => __( 'Category', 'automationtools-ai' ),
		'max_posts'   => __( 'Maximum posts per run', 'automationtools-ai' ),
		'interval'    => __( 'Check interval', 'automationtools-ai' ),
	);
	return $labels[ $field ] ?? Feed_Options\label( $field );
}

/**
 * Check one field's form; returns its clean value or an error whose message names the field.
 *
 * Needs no database, so the REST API can run it before the permission check without telling
 * anyone anything; validate() adds the checks that read the database.
 *
 * @since 0.1.0
 *
 * @param string $field REST field name.
 * @param mixed  $value Raw value.
 * @return mixed|WP_Error
 */
function check_field( string $field, $value ) {
	switch ( $field ) {
		case 'url':
			$url = \ATAI\Settings\clean_url( $value );
			if ( '' === $url ) {
				return field_error( $field, __( 'enter the feed\'s address, starting with http:// or https://, for example https://example.org/feed.', 'automationtools-ai' ) );
			}
			return $url;

		case 'title':
			$title = is_scalar( $value ) ? sanitize_text_field( (string) $value ) : '';
			return mb_substr( $title, 0, 255 );

		case 'status':
			return in_array( $value, STATUSES, true ) ? $value : field_error( $field, __( 'choose active or paused.', 'automationtools-ai' ) );

		case 'post_status':
			return in_array( $value, POST_STATUSES, true ) ? $value : field_error( $field, __( 'choose draft, publish, pending or private.', 'automationtools-ai' ) );

		case 'author':
			$user_id = is_numeric( $value ) ? (int) $value : 0;
			return $user_id > 0 ? $user_id : field_error( $field, __( 'choose a user of this site.', 'automationtools-ai' ) );

		case 'category':
			$term_id = is_numeric( $value ) ? (int) $value : 0;
			return $term_id > 0 ? $term_id : field_error( $field, __( 'choose an existing category.', 'automationtools-ai' ) );

		case 'max_posts':
			if ( ! is_numeric( $value ) || (int) $value != $value || (int) $value < MAX_POSTS_MIN || (int) $value > MAX_POSTS_MAX ) { // phpcs:ignore Universal.Operators.StrictComparisons -- "10" and 10 are the same number here.
				/* translators: 1: smallest allowed number, 2: largest allowed number. */
				return field_error( $field, sprintf( __( 'enter a whole number from %1$d to %2$d.', 'automationtools-ai' ), MAX_POSTS_MIN, MAX_POSTS_MAX ) );
			}
			return (int) $value;

		case 'interval':
			return is_string( $value ) && isset( Feed::intervals()[ $value ] ) ? $value : field_error( $field, __( 'choose one of the offered intervals.', 'automationtools-ai' ) );

	}
	$clean = Feed_Options\check( $field, $value );
	return is_wp_error( $clean ) ? field_error( $field, $clean->get_error_message() ) : $clean;
}

/**
 * Check the fields that name other things: the URL is not another feed's, the author can write
 * posts, the category exists.
 *
 * @since 0.1.0
 *
 * @param array<string, mixed> $values  Clean values.
 * @param int|null             $feed_id The feed being edited, or null.
 * @return array<string, WP_Error> Errors by field.
 */
function check_references( array $values, ?int $feed_id ): array {
	$errors = array();
	// Another spelling of one address (http or https, a fragment, tracking parameters…) is the same feed.
	$other = \ATAI\Feed_Address\feed_with_same_address( $values['url'], $feed_id );
	if ( null !== $other ) {
		$errors['url'] = field_error(
			'url',
			sprintf(
				/* translators: 1: the existing feed's title, 2: its ID, 3: its URL. */
				__( 'this feed is already added as "%1$s" (feed #%2$d, %3$s).', 'automationtools-ai' ),
				'' !== $other['title'] ? $other['title'] : $other['url'],
				$other['id'],
				$other['url']
			)
		);
	}
	if ( ! get_userdata( $values['author'] ) ) {
		$errors['author'] = field_error( 'author', __( 'choose a user of this site.', 'automationtools-ai' ) );
	} elseif ( ! user_can( $values['author'], 'edit_posts' ) ) {
		$errors['author'] = field_error( 'author', __( 'this user cannot write posts; choose an author, editor or administrator.', 'automationtools-ai' ) );
	}
	$term = get_term( $values['category'], 'category' );
	if ( ! $term || is_wp_error( $term ) ) {
		$errors['category'] = field_error( 'category', __( 'choose an existing category.', 'automationtools-ai' ) );
	}
	return $errors;
}

/**
 * An error for one field, message "Field label: reason".
 *
 * @since 0.1.0
 */
function field_error( string $field, string $reason ): WP_Error {
	return new WP_Error(
		'atai_invalid_feed',
		/* translators: 1: field name, e.g. "Feed URL", 2: what is wrong with the value. */
		sprintf( __( '%1$s: %2$s', 'automationtools-ai' ), field_label( $field ), $reason ),
		array(
			'status' => 400,
			'field'  => $field,
		)
	);
}

/**
 * Check a whole form or request. On errors, one WP_Error carrying every field's message.
 *
 * @since 0.1.0
 *
 * @param array<string, mixed> $input   Values by REST field name; absent fields keep $current or the defaults.
 * @param Feed|null            $current The feed being edited, or null to create one.
 * @return array<string, mixed>|WP_Error Clean values for every editable field.
 */
function validate( array $input, ?Feed $current = null ) {
	$values = $current ? $current->fields() : defaults();
	$values = array_merge( $values, array_intersect_key( $input, array_flip( Feed::editable() ) ) );
	$errors = new WP_Error();
	// Every field, not only the given ones: an author deleted since must be replaced on the next save.
	foreach ( Feed::editable() as $field ) {
		$value = check_field( $field, $values[ $field ] );
		if ( is_wp_error( $value ) ) {
			$errors->add( 'atai_invalid_feed', $value->get_error_message(), array( 'field' => $field ) );
			continue;
		}
		$values[ $field ] = $value;
	}
	foreach ( $errors->has_errors() ? array() : Feed_Options\check_feed( $values ) as $field => $reason ) {
		$errors->add( 'atai_invalid_feed', field_error( $field, $reason )->get_error_message(), array( 'field' => $field ) );
	}
	if ( ! $errors->has_errors() ) {
		foreach ( check_references( $values, $current?->id ) as $field => $error ) {
			$errors->add( 'atai_invalid_feed', $error->get_error_message(), array( 'field' => $field ) );
		}
	}
	if ( $errors->has_errors() ) {
		$errors->add_data( array( 'status' => 400 ) );
		return $errors;
	}
	return $values;
}

/**
 * Each field's message from a validate() error, by field.
 *
 * @since 0.1.0
 *
 * @return array<string, string>
 */
function field_messages( WP_Error $error ): array {
	$messages = array();
	foreach ( $error->get_all_error_data( 'atai_invalid_feed' ) as $index => $data ) {
		if ( is_array( $data ) && isset( $data['field'] ) ) {
			$messages[ $data['field'] ] = $error->get_error_messages( 'atai_invalid_feed' )[ $index ] ?? '';
		}
	}
	return $messages;
}

/**
 * Values of a new feed before the site owner changes them.
 *
 * @since 0.1.0
 *
 * @return array<string, mixed>
 */
function defaults(): array {
	return array(
		'url'         => '',
		'title'       => '',
		'status'      => 'active',
		'post_status' => 'draft',
		'author'      => get_current_user_id(),
		'category'    => (int) get_option( 'default_category', 1 ),
		'max_posts'   => DEFAULT_MAX_POSTS,
		'interval'    => Feed::DEFAULT_INTERVAL,
	) + Feed_Options\defaults();
}

/**
 * Add a feed; it is due at once.
 *
 * @since 0.1.0
 *
 * @param array<string, mixed> $input Values by REST field name.
 * @return int|WP_Error The new feed's ID.
 */
function create( array $input ) {
	global $wpdb;
	$values = validate( $input );
	if ( is_wp_error( $values ) ) {
		return $values;
	}
	$now  = Clock\utc();
	$row  = Feed::from_fields( $values )->to_columns() + array(
		'next_run_at' => $now,
		'created_at'  => $now,
	);
	$done = $wpdb->insert( Schema\feeds_table(), $row );
	if ( ! $done ) {
		return new WP_Error( 'atai_db_error', __( 'The feed could not be saved: the database refused it.', 'automationtools-ai' ), array( 'status' => 500 ) );
	}
	return (int) $wpdb->insert_id;
}

/**
 * Change a feed's editable fields.
 *
 * @since 0.1.0
 *
 * @param int                  $id    Feed ID.
 * @param array<string, mixed> $input Values by REST field name; absent fields stay.
 * @return true|WP_Error
 */
function update( int $id, array $input ) {
	global $wpdb;
	$current = get( $id );
	if ( null === $current ) {
		return not_found( $id );
	}
	$values = validate( $input, $current );
	if ( is_wp_error( $values ) ) {
		return $values;
	}
	$edited  = Feed::from_fields( $values );
	$columns = $edited->to_columns();
	// A new check interval takes effect from the last run, not from the next one.
	if ( $edited->interval !== $current->interval && null !== $current->last_run_at ) {
		$columns['next_run_at'] = Clock\at( Clock\timestamp( $current->last_run_at ) + $edited->interval_seconds );
	}
	$done = $wpdb->update( Schema\feeds_table(), $columns, array( 'id' => $id ) );
	if ( false === $done ) {
		return new WP_Error( 'atai_db_error', __( 'The feed could not be saved: the database refused it.', 'automationtools-ai' ), array( 'status' => 500 ) );
	}
	return true;
}

/**
 * Delete a feed and its ledger rows. Its posts stay: they are the site owner's content.
 *
 * @since 0.1.0
 *
 * @return true|WP_Error
 */
function delete( int $id ) {
	global $wpdb;
	if ( null === get( $id ) ) {
		return not_found( $id );
	}
	$wpdb->delete( Schema\feeds_table(), array( 'id' => $id ) );
	$wpdb->delete( Schema\items_table(), array( 'feed_id' => $id ) );
	\ATAI\Run_Log\forget( $id );
	return true;
}

/**
 * The error for an unknown feed ID.
 *
 * @since 0.1.0
 */
function not_found( int $id ): WP_Error {
	/* translators: %d: feed ID. */
	return new WP_Error( 'atai_feed_not_found', sprintf( __( 'There is no feed #%d.', 'automationtools-ai' ), $id ), array( 'status' => 404 ) );
}

/**
 * One feed, or null.
 *
 * @since 0.1.0
 *
 * @return Feed|null
 */
function get( int $id ): ?Feed {
	global $wpdb;
	$table = Schema\feeds_table();
	// phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared -- table name is ours.
	$row = $wpdb->get_row( $wpdb->prepare( "SELECT * FROM {$table} WHERE id = %d", $id ), ARRAY_A );
	return $row ? Feed::from_row( $row ) : null;
}

/**
 * Feeds for a list, newest first.
 *
 * @since 0.1.0
 *
 * @return Feed[]
 */
function all( int $limit = 500, int $offset = 0 ): array {
	global $wpdb;
	$table = Schema\feeds_table();
	// phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared -- table name is ours.
	$rows = $wpdb->get_results( $wpdb->prepare( "SELECT * FROM {$table} ORDER BY id DESC LIMIT %d OFFSET %d", $limit, $offset ), ARRAY_A );
	return array_map( array( Feed::class, 'from_row' ), $rows ?: array() );
}

/**
 * How many feeds there are.
 *
 * @since 0.1.0
 */
function count_all(): int {
	global $wpdb;
	$table = Schema\feeds_table();
	// phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared -- table name is ours.
	return (int) $wpdb->get_var( "SELECT COUNT(*) FROM {$table}" );
}

/**
 * Pause or resume a feed. Resuming a feed that is overdue makes it run on the next tick.
 *
 * @since 0.1.0
 *
 * @return true|WP_Error
 */
function set_status( int $id, string $status ) {
	return update( $id, array( 'status' => $status ) );
}
