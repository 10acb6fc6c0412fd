<?php
/**
 * A feed's health in words: its state (Active, Paused, Failing, Gone), since when and why, when it is
 * tried next, and what the site owner can do about it; and the incidents worth a notice on every
 * admin screen and in the daily digest: a feed failing for more than a day, a feed that is gone, and
 * a feed whose runs stopped happening (WP-Cron not running, or a run the worker never finished).
 *
 * @package automationtools-ai
 */

namespace ATAI\Health;

use ATAI\Clock;
use ATAI\Feed;
use ATAI\Schedule;
use ATAI\Schema;

/** A feed failing this long is an incident. */
const FAILING_NOTICE_AFTER = DAY_IN_SECONDS;

/** The tick runs every minute; one not seen for this long means WP-Cron is not running. */
const TICK_STALE_AFTER = 10 * MINUTE_IN_SECONDS;

/** When the cron tick last started (Cron\tick() writes it). */
const LAST_TICK_OPTION = 'atai_last_tick';

/**
 * The feed's state: active, paused, failing or gone.
 *
 * @since 0.3.0
 */
function state( Feed $feed ): string {
	if ( 'paused' === $feed->status ) {
		return 410 === $feed->last_http_status ? 'gone' : 'paused';
	}
	return $feed->failed_runs > 0 ? 'failing' : 'active';
}

/**
 * A state in one word.
 *
 * @since 0.3.0
 */
function label( string $state ): string {
	$labels = array(
		'active'  => __( 'Active', 'automationtools-ai' ),
		'paused'  => __( 'Paused', 'automationtools-ai' ),
		'failing' => __( 'Failing', 'automationtools-ai' ),
		'gone'    => __( 'Gone', 'automationtools-ai' ),
	);
	return $labels[ $state ] ?? $state;
}

/**
 * The state in a sentence or two: since when and why it fails and when it is tried next, why it is
 * paused, or what its active dates do; '' for a feed that simply runs.
 *
 * @since 0.3.0
 */
function summary( Feed $feed ): string {
	$now = time();
	switch ( state( $feed ) ) {
		case 'gone':
			return __( 'The feed\'s address answers 410 (gone for good), so the feed was paused.', 'automationtools-ai' );
		case 'paused':
			return __( 'It does not run until it is resumed.', 'automationtools-ai' );
		case 'failing':
			$since = null === $feed->failing_since ? $now : Clock\timestamp( $feed->failing_since );
			$next  = null === $feed->next_run_at ? $now : Clock\timestamp( $feed->next_run_at );
			/* translators: %s: time span such as "5 mins". */
			$next_try = $next > $now ? sprintf( __( 'in %s', 'automationtools-ai' ), human_time_diff( $now, $next ) ) : __( 'at the next check', 'automationtools-ai' );
			return sprintf(
				/* translators: 1: date and time, 2: time span such as "3 hours", 3: the error, 4: "in 5 mins" or "at the next check", 5: number of failed runs. */
				_n( 'Failing since %1$s (%2$s): %3$s Next try %4$s, after %5$d failed run.', 'Failing since %1$s (%2$s): %3$s Next try %4$s, after %5$d failed runs in a row.', $feed->failed_runs, 'automationtools-ai' ),
				when( $since ),
				human_time_diff( $since, $now ),
				rtrim( $feed->last_error, '.' ) . '.',
				$next_try,
				$feed->failed_runs
			);
	}
	return Schedule\describe( $feed, $now );
}

/**
 * What the site owner can do about the feed's current error, in words; '' when there is nothing to do.
 *
 * @since 0.3.0
 */
function advice( Feed $feed ): string {
	if ( '' === $feed->last_error_code || 'items_failed' === $feed->last_error_code ) {
		return '';
	}
	$status = $feed->last_http_status;
	if ( 404 === $status ) {
		return __( 'The address answers 404 (not found): check it in a browser, or find the feed again from the site\'s address.', 'automationtools-ai' );
	}
	if ( 410 === $status ) {
		return __( 'The site says the feed is gone for good: find its new feed from the site\'s address, change the address here and resume the feed, or delete it.', 'automationtools-ai' );
	}
	if ( 401 === $status || 403 === $status ) {
		return __( 'The site refuses to give the feed to the worker: it may need a login, or block automated readers. Ask the site\'s owner, or find another feed of the site.', 'automationtools-ai' );
	}
	if ( 429 === $status ) {
		return __( 'The site asks for fewer requests: the next try waits as long as it asked. A longer check interval helps.', 'automationtools-ai' );
	}
	if ( $status >= 500 ) {
		return __( 'The site has a problem on its side. Nothing to change here: the feed is tried again, less and less often, until it answers.', 'automationtools-ai' );
	}
	$by_code = array(
		'timeout'           => __( 'The site did not answer in time: it may be slow or down. The feed is tried again.', 'automationtools-ai' ),
		'connection_failed' => __( 'The site could not be reached: check the address for typos and whether the site opens in a browser.', 'automationtools-ai' ),
		'blocked_address'   => __( 'The address leads into a private network, which the worker does not fetch. Use the feed\'s public address, or, if the host is yours, add it to ATAI_ALLOWED_HOSTS in the worker\'s environment.', 'automationtools-ai' ),
		'not_a_feed'        => __( 'The address does not give a feed (any more): it may have moved or become a web page. Find the feed again from the site\'s address.', 'automationtools-ai' ),
		'malformed_feed'    => __( 'The feed is damaged or cut short. If it stays so, tell the site\'s owner.', 'automationtools-ai' ),
		'too_large'         => __( 'The feed is larger than the worker accepts (ATAI_FETCH_MAX_BYTES in the worker\'s environment).', 'automationtools-ai' ),
		'too_many_redirects' => __( 'The address redirects too many times: open it in a browser and use the address it ends at.', 'automationtools-ai' ),
		'filter_invalid'    => __( 'A filter of this feed cannot be used: correct it under Filters on this screen.', 'automationtools-ai' ),
	);
	if ( isset( $by_code[ $feed->last_error_code ] ) ) {
		return $by_code[ $feed->last_error_code ];
	}
	if ( str_starts_with( $feed->last_error_code, 'atai_worker_' ) ) {
		return __( 'WordPress could not work with the worker: check it with Test connection under AutomationTools.AI > Settings.', 'automationtools-ai' );
	}
	return '';
}

/**
 * The feed's health as the REST API shows it (field "health" of a feed).
 *
 * @since 0.3.0
 *
 * @return array{state: string, label: string, summary: string, since: ?string, next_try: ?string, advice: string}
 */
function to_rest( Feed $feed ): array {
	$state = state( $feed );
	return array(
		'state'    => $state,
		'label'    => label( $state ),
		'summary'  => summary( $feed ),
		'since'    => 'failing' === $state || 'gone' === $state ? Clock\rfc3339( $feed->failing_since ) : null,
		'next_try' => 'failing' === $state ? Clock\rfc3339( $feed->next_run_at ) : null,
		'advice'   => advice( $feed ),
	);
}

/**
 * The REST schema of a feed's health.
 *
 * @since 0.3.0
 *
 * @return array<string, mixed>
 */
function rest_schema(): array {
	$date = array(
		'type'   => array( 'string', 'null' ),
		'format' => 'date-time',
	);
	return array(
		'description' => __( 'The feed\'s state in words: active, paused, failing (since when, why, next try) or gone (410: paused).', 'automationtools-ai' ),
		'type'        => 'object',
		'readonly'    => true,
		'properties'  => array(
			'state'    => array(
				'type' => 'string',
				'enum' => array( 'active', 'paused', 'failing', 'gone' ),
			),
			'label'    => array( 'type' => 'string' ),
			'summary'  => array( 'type' => 'string' ),
			'since'    => $date,
			'next_try' => $date,
			'advice'   => array( 'type' => 'string' ),
		),
	);
}

/**
 * A moment in the site's date and time format.
 *
 * @since 0.3.0
 */
function when( int $timestamp ): string {
	return (string) wp_date( get_option( 'date_format' ) . ' ' . get_option( 'time_format' ), $timestamp );
}

/**
 * Note that the cron tick runs now.
 *
 * @since 0.3.0
 */
function tick_started(): void {
	update_option( LAST_TICK_OPTION, time(), false );
}

/**
 * The feeds that need the site owner: failing for more than a day, gone, or not run for twice their
 * interval. Each incident has an ID that changes when a new incident starts (for dismissals).
 *
 * @since 0.3.0
 *
 * @return array<int, array{id: string, kind: string, feed: Feed, message: string}>
 */
function incidents(): array {
	global $wpdb;
	$table = Schema\feeds_table();
	$now   = Clock\utc();
	$rows  = $wpdb->get_results(
		$wpdb->prepare(
			// phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared -- table name is ours.
			"SELECT * FROM {$table} WHERE (status = 'active' AND failing_since < %s) OR (status = 'paused' AND last_http_status = 410) OR (status = 'active' AND next_run_at < DATE_SUB(%s, INTERVAL check_interval SECOND)) ORDER BY id DESC LIMIT 100",
			Clock\utc( -FAILING_NOTICE_AFTER ),
			$now
		),
		ARRAY_A
	);
	$incidents = array();
	foreach ( array_map( array( Feed::class, 'from_row' ), $rows ?: array() ) as $feed ) {
		$incident = incident( $feed );
		if ( null !== $incident ) {
			$incidents[] = $incident;
		}
	}
	return $incidents;
}

/**
 * The feed's incident, if it has one.
 *
 * @since 0.3.0
 *
 * @return array{id: string, kind: string, feed: Feed, message: string}|null
 */
function incident( Feed $feed ): ?array {
	$name = '' !== $feed->title ? $feed->title : $feed->url;
	$now  = time();
	if ( 'gone' === state( $feed ) ) {
		return array(
			'id'      => 'gone-' . $feed->id . '-' . Clock\timestamp( (string) $feed->failing_since ),
			'kind'    => 'gone',
			'feed'    => $feed,
			/* translators: %s: feed title. */
			'message' => sprintf( __( 'The feed "%s" is gone: its address answers 410, so it was paused. Find the site\'s new feed, or delete this one.', 'automationtools-ai' ), $name ),
		);
	}
	if ( 'failing' === state( $feed ) && null !== $feed->failing_since && Clock\timestamp( $feed->failing_since ) < $now - FAILING_NOTICE_AFTER ) {
		return array(
			'id'      => 'failing-' . $feed->id . '-' . Clock\timestamp( $feed->failing_since ),
			'kind'    => 'failing',
			'feed'    => $feed,
			'message' => sprintf(
				/* translators: 1: feed title, 2: time span such as "2 days", 3: the error. */
				__( 'The feed "%1$s" has been failing for %2$s: %3$s', 'automationtools-ai' ),
				$name,
				human_time_diff( Clock\timestamp( $feed->failing_since ), $now ),
				$feed->last_error
			),
		);
	}
	if ( 'active' !== $feed->status || null === $feed->next_run_at || Clock\timestamp( $feed->next_run_at ) >= $now - $feed->interval_seconds || Schedule\has_ended( $feed, $now ) ) {
		return null;
	}
	$last = null === $feed->last_run_at ? __( 'never run', 'automationtools-ai' ) : sprintf(
		/* translators: %s: time span such as "3 hours". */
		__( 'not run for %s', 'automationtools-ai' ),
		human_time_diff( Clock\timestamp( $feed->last_run_at ), $now )
	);
	return array(
		'id'      => 'stalled-' . $feed->id . '-' . Clock\timestamp( $feed->next_run_at ),
		'kind'    => 'stalled',
		'feed'    => $feed,
		'message' => sprintf(
			/* translators: 1: feed title, 2: "never run" or "not run for 3 hours", 3: check interval in words, 4: why. */
			__( 'The feed "%1$s" has %2$s, though it is checked %3$s. %4$s', 'automationtools-ai' ),
			$name,
			$last,
			strtolower( \ATAI\Feeds\interval_labels()[ $feed->interval ] ?? $feed->interval ),
			stall_reason( $feed )
		),
	);
}

/**
 * Why runs stopped, in words: WP-Cron not running, a run the worker never finished, or the worker.
 *
 * @since 0.3.0
 */
function stall_reason( Feed $feed ): string {
	$last_tick = (int) get_option( LAST_TICK_OPTION, 0 );
	if ( $last_tick < time() - TICK_STALE_AFTER ) {
		$since = 0 === $last_tick ? __( 'WP-Cron has never run the plugin\'s check.', 'automationtools-ai' ) : sprintf(
			/* translators: %s: time span such as "3 hours". */
			__( 'WP-Cron last ran the plugin\'s check %s ago.', 'automationtools-ai' ),
			human_time_diff( $last_tick, time() )
		);
		return $since . ' ' . __( 'WP-Cron runs only when someone visits the site, and not at all when DISABLE_WP_CRON is set: have the system\'s cron call wp-cron.php every minute.', 'automationtools-ai' );
	}
	if ( null !== $feed->run_id ) {
		return __( 'Its run at the worker has not come back: check the worker with Test connection under AutomationTools.AI > Settings.', 'automationtools-ai' );
	}
	if ( '' !== $feed->last_error ) {
		return $feed->last_error;
	}
	return __( 'The check runs but does not reach this feed: many feeds may be due at once; a longer check interval helps.', 'automationtools-ai' );
}
