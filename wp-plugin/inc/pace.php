<?php
/**
 * Publishing pace: at most N imported posts a day, per feed and for the whole site, inside a time
 * window, spread evenly over it; a post beyond today's share is scheduled (status future) for the next
 * free slot instead of appearing at once.
 *
 * {prefix}atai_pace counts, per day of the site's time zone, the posts given a slot by each feed and by
 * the site, and when the last one was. The slot is taken inside the import's transaction with the rows
 * locked, so two collections running at once never give out the same day's share twice.
 *
 * @package automationtools-ai
 */

namespace ATAI\Pace;

use ATAI\Feed;
use ATAI\Schema;
use ATAI\Settings;
use DateInterval;
use DateTimeImmutable;
use DateTimeZone;

/** Days ahead a post may be scheduled; beyond them a post is published at once rather than lost. */
const DAYS_AHEAD = 60;

/** A window as "HH:MM-HH:MM". */
const WINDOW_PATTERN = '/^([01]\d|2[0-3]):([0-5]\d)\s*-\s*([01]\d|2[0-4]):([0-5]\d)$/';

/**
 * The feed options of the publishing pace.
 *
 * @since 0.2.0
 *
 * @return array<string, array<string, mixed>>
 */
function feed_options(): array {
	return array(
		'daily_cap'      => array(
			'group'   => 'schedule',
			'type'    => 'integer',
			'default' => 0,
			'minimum' => 0,
			'maximum' => 1000,
			'label'   => __( 'Posts a day', 'automationtools-ai' ),
			'help'    => __( 'At most this many posts of this feed are published a day, spread over the publishing hours; the others are scheduled for the next days. 0: no limit. Applies to posts published at once (post status "Published").', 'automationtools-ai' ),
		),
		'publish_window' => array(
			'group'   => 'schedule',
			'type'    => 'string',
			'default' => '',
			'label'   => __( 'Publishing hours', 'automationtools-ai' ),
			'help'    => __( 'For example 08:00-20:00, in the site\'s time zone. Empty: any time of day.', 'automationtools-ai' ),
			'check'   => __NAMESPACE__ . '\\check_window',
		),
	);
}

/**
 * Why a publishing window is refused ('' when it is fine).
 *
 * @since 0.2.0
 */
function check_window( string $window ): string {
	if ( '' === $window ) {
		return '';
	}
	$minutes = window_minutes( $window );
	if ( null === $minutes || $minutes[0] >= $minutes[1] ) {
		return __( 'enter the hours as 08:00-20:00, the start before the end.', 'automationtools-ai' );
	}
	return '';
}

/**
 * A window's start and end in minutes of the day, or null.
 *
 * @since 0.2.0
 *
 * @return array{0: int, 1: int}|null
 */
function window_minutes( string $window ): ?array {
	if ( '' === $window ) {
		return array( 0, 1440 );
	}
	if ( ! preg_match( WINDOW_PATTERN, trim( $window ), $match ) ) {
		return null;
	}
	return array( (int) $match[1] * 60 + (int) $match[2], min( 1440, (int) $match[3] * 60 + (int) $match[4] ) );
}

/**
 * The post data with its publishing slot: unchanged when it may appear now, else scheduled.
 *
 * Called inside the import's transaction.
 *
 * @since 0.2.0
 *
 * @param array<string, mixed> $postarr wp_insert_post() arguments.
 * @param Feed                 $feed    The feed.
 * @return array<string, mixed>
 */
function schedule( array $postarr, Feed $feed ): array {
	$feed_cap = (int) $feed->options['daily_cap'];
	$site_cap = (int) Settings\get( Settings\DAILY_POST_CAP );
	$window   = window_minutes( (string) $feed->options['publish_window'] ) ?? array( 0, 1440 );
	if ( 'publish' !== $postarr['post_status'] || ( 0 === $feed_cap && 0 === $site_cap && array( 0, 1440 ) === $window ) ) {
		return $postarr;
	}
	$caps = array(
		'feed:' . $feed->id => $feed_cap,
		'site'              => $site_cap,
	);
	$slot = next_slot( $caps, $window, new DateTimeImmutable( 'now', wp_timezone() ) );
	if ( null === $slot ) {
		return $postarr;
	}
	take( array_keys( $caps ), $slot );
	if ( $slot->getTimestamp() > time() + MINUTE_IN_SECONDS ) {
		$postarr['post_status']   = 'future';
		$postarr['post_date_gmt'] = gmdate( 'Y-m-d H:i:s', $slot->getTimestamp() );
		$postarr['post_date']     = $slot->format( 'Y-m-d H:i:s' );
	}
	return $postarr;
}

/**
 * The first free slot from now: a day with room under every cap, inside the window, spaced after the last.
 *
 * @since 0.2.0
 *
 * @param array<string, int>     $caps   Cap by scope (0: none).
 * @param array{0: int, 1: int}  $window Minutes of the day.
 * @param DateTimeImmutable      $now    Now, in the site's time zone.
 */
function next_slot( array $caps, array $window, DateTimeImmutable $now ): ?DateTimeImmutable {
	$used   = usage( array_keys( $caps ), $now->format( 'Y-m-d' ) );
	$length = ( $window[1] - $window[0] ) * MINUTE_IN_SECONDS;
	$day    = $now->setTime( 0, 0 );
	for ( $ahead = 0; $ahead <= DAYS_AHEAD; $ahead++ ) {
		$start = $day->add( new DateInterval( 'PT' . ( $window[0] * 60 ) . 'S' ) );
		$end   = $day->add( new DateInterval( 'PT' . ( $window[1] * 60 ) . 'S' ) );
		$slot  = $start < $now ? $now : $start;
		$full  = false;
		foreach ( $caps as $scope => $cap ) {
			$row = $used[ $scope ][ $day->format( 'Y-m-d' ) ] ?? null;
			if ( null === $row || 0 === $cap ) {
				continue;
			}
			if ( $row['posts'] >= $cap ) {
				$full = true;
				break;
			}
			$spaced = $row['last_at']->getTimestamp() + intdiv( $length, $cap );
			if ( $spaced > $slot->getTimestamp() ) {
				$slot = $slot->setTimestamp( $spaced );
			}
		}
		if ( ! $full && $slot < $end ) {
			return $slot;
		}
		$day = $day->add( new DateInterval( 'P1D' ) );
	}
	return null;
}

/**
 * Posts and last slot per scope and day from a day on, the rows locked until the transaction ends.
 *
 * @since 0.2.0
 *
 * @param string[] $scopes Scopes.
 * @param string   $from   First day (Y-m-d, site time).
 * @return array<string, array<string, array{posts: int, last_at: DateTimeImmutable}>>
 */
function usage( array $scopes, string $from ): array {
	global $wpdb;
	$table = Schema\pace_table();
	$rows  = $wpdb->get_results(
		$wpdb->prepare(
			// phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared -- table name is ours.
			"SELECT scope, day, posts, last_at FROM {$table} WHERE scope IN (%s, %s) AND day >= %s FOR UPDATE",
			$scopes[0],
			$scopes[1],
			$from
		),
		ARRAY_A
	);
	$used = array();
	foreach ( $rows ?: array() as $row ) {
		$used[ $row['scope'] ][ $row['day'] ] = array(
			'posts'   => (int) $row['posts'],
			'last_at' => new DateTimeImmutable( (string) $row['last_at'], new DateTimeZone( 'UTC' ) ),
		);
	}
	return $used;
}

/**
 * Count a slot taken by every scope.
 *
 * @since 0.2.0
 *
 * @param string[]          $scopes Scopes.
 * @param DateTimeImmutable $slot   The slot, in the site's time zone.
 */
function take( array $scopes, DateTimeImmutable $slot ): void {
	global $wpdb;
	$table  = Schema\pace_table();
	$day    = $slot->format( 'Y-m-d' );
	$at     = gmdate( 'Y-m-d H:i:s', $slot->getTimestamp() );
	$values = array();
	foreach ( $scopes as $scope ) {
		$values[] = $wpdb->prepare( '(%s, %s, 1, %s)', $scope, $day, $at );
	}
	// phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared,WordPress.DB.PreparedSQL.NotPrepared -- rows prepared above; table name is ours.
	$wpdb->query( "INSERT INTO {$table} (scope, day, posts, last_at) VALUES " . implode( ', ', $values ) . ' ON DUPLICATE KEY UPDATE posts = posts + 1, last_at = GREATEST(last_at, VALUES(last_at))' );
}
