<?php
/**
 * A feed's active dates: the first and last day it runs on its schedule, in the site's time zone.
 *
 * Outside its dates a feed is not dispatched by the tick ("Run now" still works): before them its
 * next run moves to the first day, after them it is checked again once an interval (so a later last
 * day set meanwhile takes effect). run-state.php's due_feeds() asks not_before().
 *
 * @package automationtools-ai
 */

namespace ATAI\Schedule;

use ATAI\Feed;

/** How dates are written in the options: ISO 8601 calendar dates. */
const DATE_FORMAT = 'Y-m-d';

/**
 * The schedule options.
 *
 * @since 0.3.0
 *
 * @return array<string, array<string, mixed>>
 */
function feed_options(): array {
	$date = array(
		'group'      => 'schedule',
		'type'       => 'string',
		'default'    => '',
		'max_length' => 10,
		'check'      => __NAMESPACE__ . '\\date_problem',
		'render'     => __NAMESPACE__ . '\\date_control',
	);
	return array(
		'active_from'  => array(
			'label' => __( 'Active from', 'automationtools-ai' ),
			'help'  => __( 'The first day the feed runs on its schedule (your site\'s time zone). Empty: from now.', 'automationtools-ai' ),
		) + $date,
		'active_until' => array(
			'label'      => __( 'Active until', 'automationtools-ai' ),
			'help'       => __( 'The last day the feed runs on its schedule. Empty: no end.', 'automationtools-ai' ),
			'check_feed' => __NAMESPACE__ . '\\order_problem',
		) + $date,
	);
}

/**
 * Why a date cannot be used, or ''.
 *
 * @since 0.3.0
 */
function date_problem( string $value ): string {
	if ( '' === $value || null !== day( $value ) ) {
		return '';
	}
	return __( 'enter a date as YYYY-MM-DD, for example 2027-03-01, or leave it empty.', 'automationtools-ai' );
}

/**
 * Why the last day cannot be used with the first, or ''.
 *
 * @since 0.3.0
 *
 * @param string               $until  The last day.
 * @param array<string, mixed> $values The feed's clean values.
 */
function order_problem( string $until, array $values ): string {
	$from = (string) ( $values['active_from'] ?? '' );
	if ( '' === $until || '' === $from || $from <= $until ) {
		return '';
	}
	return __( 'the last day comes before the first day.', 'automationtools-ai' );
}

/**
 * A date field of the feed's form.
 *
 * @since 0.3.0
 *
 * @param string $name    Option name.
 * @param mixed  $value   Its value.
 * @param string $described Extra attributes (aria) of an invalid field, escaped.
 */
function date_control( string $name, $value, string $described ): string {
	return sprintf(
		'<input type="date" name="%1$s" id="atai-%1$s" value="%2$s" placeholder="YYYY-MM-DD"%3$s />',
		esc_attr( $name ),
		esc_attr( is_scalar( $value ) ? (string) $value : '' ),
		$described
	);
}

/**
 * The start of a day in the site's time zone, or null when the text is not a date.
 *
 * @since 0.3.0
 */
function day( string $value ): ?\DateTimeImmutable {
	$date = \DateTimeImmutable::createFromFormat( '!' . DATE_FORMAT, $value, wp_timezone() );
	return false !== $date && $date->format( DATE_FORMAT ) === $value ? $date : null;
}

/**
 * When the feed may run next on its schedule: 0 within its dates, else the Unix time to look again
 * (its first day, or one interval on after its last day).
 *
 * @since 0.3.0
 *
 * @param Feed $feed The feed.
 * @param int  $now  The time.
 */
function not_before( Feed $feed, int $now ): int {
	$from = day( (string) ( $feed->options['active_from'] ?? '' ) );
	if ( null !== $from && $now < $from->getTimestamp() ) {
		return $from->getTimestamp();
	}
	return has_ended( $feed, $now ) ? $now + $feed->interval_seconds : 0;
}

/**
 * Whether the feed's last day is past.
 *
 * @since 0.3.0
 */
function has_ended( Feed $feed, int $now ): bool {
	$until = day( (string) ( $feed->options['active_until'] ?? '' ) );
	return null !== $until && $now >= $until->modify( '+1 day' )->getTimestamp();
}

/**
 * The feed's dates in words when they keep it from running now, else ''.
 *
 * @since 0.3.0
 */
function describe( Feed $feed, int $now ): string {
	$from = day( (string) ( $feed->options['active_from'] ?? '' ) );
	if ( null !== $from && $now < $from->getTimestamp() ) {
		/* translators: %s: a date. */
		return sprintf( __( 'It starts running on %s.', 'automationtools-ai' ), wp_date( get_option( 'date_format' ), $from->getTimestamp() ) );
	}
	if ( has_ended( $feed, $now ) ) {
		$until = day( (string) $feed->options['active_until'] );
		/* translators: %s: a date. */
		return sprintf( __( 'Its last day was %s: it no longer runs on its schedule.', 'automationtools-ai' ), wp_date( get_option( 'date_format' ), $until->getTimestamp() ) );
	}
	return '';
}
