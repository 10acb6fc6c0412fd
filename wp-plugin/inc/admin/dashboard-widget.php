<?php
/**
 * The dashboard widget: posts (and AI cost) per day over the last 30 days as a chart drawn on the server
 * (SVG, with the same figures as a table), the drafts waiting for review and the failing feeds, each a link.
 *
 * @package automationtools-ai
 */

namespace ATAI\Admin\Dashboard_Widget;

use ATAI\Admin\Feeds_Page;
use ATAI\Admin\Post_Source;
use ATAI\Admin\Reviews_Page;
use ATAI\Clock;
use ATAI\Costs;
use ATAI\Feeds;
use ATAI\Health;
use ATAI\Reviews;
use ATAI\Schema;

const WIDGET = 'atai_dashboard';
const DAYS   = 30;

/** The chart's drawing area, in SVG units (it scales with the widget). */
const CHART_WIDTH  = 600;
const CHART_HEIGHT = 160;

/**
 * Add the widget for administrators.
 *
 * @since 0.2.0
 */
function add(): void {
	if ( ! current_user_can( 'manage_options' ) ) {
		return;
	}
	wp_add_dashboard_widget( WIDGET, __( 'AutomationTools.AI', 'automationtools-ai' ), __NAMESPACE__ . '\\render' );
}

/**
 * The widget's styles, on the dashboard only.
 *
 * @since 0.2.0
 *
 * @param string $hook_suffix Current admin page.
 */
function enqueue_assets( $hook_suffix ): void {
	if ( 'index.php' !== $hook_suffix || ! current_user_can( 'manage_options' ) ) {
		return;
	}
	wp_enqueue_style( 'atai-dashboard', plugins_url( 'assets/dashboard.css', \ATAI\PLUGIN_FILE ), array(), \ATAI\VERSION );
}

/**
 * The last DAYS days, oldest first, as Y-m-d in UTC, each with 0.
 *
 * @since 0.2.0
 *
 * @return array<string, int|float>
 */
function empty_days(): array {
	$days = array();
	for ( $ago = DAYS - 1; $ago >= 0; $ago-- ) {
		$days[ gmdate( 'Y-m-d', time() - $ago * DAY_IN_SECONDS ) ] = 0;
	}
	return $days;
}

/**
 * Posts made per day (UTC), from the ledger.
 *
 * @since 0.2.0
 *
 * @return array<string, int>
 */
function posts_by_day(): array {
	global $wpdb;
	$days  = empty_days();
	$table = Schema\items_table();
	$rows  = $wpdb->get_results(
		// phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared -- table name is ours.
		$wpdb->prepare( "SELECT DATE(updated_at) AS day, COUNT(*) AS posts FROM {$table} WHERE state IN ('posted', 'held') AND updated_at >= %s GROUP BY DATE(updated_at)", array_key_first( $days ) . ' 00:00:00' ),
		ARRAY_A
	);
	foreach ( $rows ?: array() as $row ) {
		if ( isset( $days[ $row['day'] ] ) ) {
			$days[ $row['day'] ] = (int) $row['posts'];
		}
	}
	return $days;
}

/**
 * AI cost per day (UTC), in dollars, from the costs the runs filed.
 *
 * @since 0.2.0
 *
 * @return array<string, float>
 */
function cost_by_day(): array {
	$days = array_map( 'floatval', empty_days() );
	foreach ( Costs\micros_by_day( array_key_first( $days ) ) as $day => $micros ) {
		if ( isset( $days[ $day ] ) ) {
			$days[ $day ] = $micros / 1000000;
		}
	}
	return $days;
}

/**
 * Feeds that are failing (Health\state()).
 *
 * @since 0.2.0
 *
 * @return \ATAI\Feed[]
 */
function failing_feeds(): array {
	return array_values( array_filter( Feeds\all(), static fn( $feed ) => 'failing' === Health\state( $feed ) ) );
}

/**
 * The widget.
 *
 * @since 0.2.0
 */
function render(): void {
	$posts   = posts_by_day();
	$costs   = cost_by_day();
	$waiting = Reviews\waiting_count();
	$failing = failing_feeds();

	echo '<div class="atai-dashboard">';
	echo '<ul class="atai-dashboard-counts">';
	printf(
		'<li><a href="%1$s">%2$s</a></li>',
		esc_url( Reviews_Page\url() ),
		/* translators: %s: number of drafts. */
		esc_html( sprintf( _n( '%s draft waiting for review', '%s drafts waiting for review', $waiting, 'automationtools-ai' ), number_format_i18n( $waiting ) ) )
	);
	printf(
		'<li><a href="%1$s"%2$s>%3$s</a></li>',
		esc_url( Feeds_Page\url() ),
		$failing ? ' class="atai-failing"' : '',
		/* translators: %s: number of feeds. */
		esc_html( sprintf( _n( '%s failing feed', '%s failing feeds', count( $failing ), 'automationtools-ai' ), number_format_i18n( count( $failing ) ) ) )
	);
	echo '</ul>';
	if ( $failing ) {
		echo '<ul class="atai-dashboard-failing">';
		foreach ( array_slice( $failing, 0, 5 ) as $feed ) {
			printf(
				'<li><a href="%1$s">%2$s</a>: <span class="atai-error">%3$s</span></li>',
				esc_url(
					Feeds_Page\url(
						array(
							'action' => 'edit',
							'feed'   => $feed->id,
						)
					)
				),
				esc_html( Post_Source\feed_name( $feed ) ),
				esc_html( $feed->last_error )
			);
		}
		echo '</ul>';
	}
	/* translators: %d: number of days. */
	echo '<h3>' . esc_html( sprintf( __( 'Posts per day, last %d days', 'automationtools-ai' ), DAYS ) ) . '</h3>';
	echo chart( 'atai-chart-posts', $posts, __( 'Posts made per day', 'automationtools-ai' ), 'posts' ); // phpcs:ignore WordPress.Security.EscapeOutput.OutputNotEscaped -- chart() escapes every part.
	if ( array_sum( $costs ) > 0 ) {
		/* translators: %d: number of days. */
		echo '<h3>' . esc_html( sprintf( __( 'AI cost per day, last %d days', 'automationtools-ai' ), DAYS ) ) . '</h3>';
		echo chart( 'atai-chart-cost', $costs, __( 'AI cost per day', 'automationtools-ai' ), 'cost' ); // phpcs:ignore WordPress.Security.EscapeOutput.OutputNotEscaped -- chart() escapes every part.
	} else {
		echo '<p class="description">' . esc_html__( 'No AI cost recorded in these days.', 'automationtools-ai' ) . '</p>';
	}
	echo table( $posts, $costs ); // phpcs:ignore WordPress.Security.EscapeOutput.OutputNotEscaped -- table() escapes every part.
	echo '</div>';
}

/**
 * A value as the chart and the table write it.
 *
 * @since 0.2.0
 *
 * @param int|float $value The value.
 * @param string    $kind  'posts' or 'cost'.
 */
function format_value( $value, string $kind ): string {
	return 'cost' === $kind ? number_format_i18n( (float) $value, 2 ) : number_format_i18n( (int) $value );
}

/**
 * A bar chart in SVG: one bar a day, the largest value on the axis, a title for each bar.
 *
 * @since 0.2.0
 *
 * @param string                   $id     Element ID.
 * @param array<string, int|float> $values Value by day.
 * @param string                   $title  What it shows.
 * @param string                   $kind   'posts' or 'cost'.
 */
function chart( string $id, array $values, string $title, string $kind ): string {
	$max   = max( array_merge( array_values( $values ), array( 0 ) ) );
	$slot  = CHART_WIDTH / count( $values );
	$total = array_sum( $values );
	$desc  = sprintf(
		/* translators: 1: total over the period, 2: largest daily value, 3: number of days. */
		__( '%1$s in all over %3$d days; at most %2$s on one day. The table below gives each day.', 'automationtools-ai' ),
		format_value( $total, $kind ),
		format_value( $max, $kind ),
		count( $values )
	);
	$svg   = sprintf(
		'<svg id="%1$s" class="atai-chart atai-chart-%2$s" viewBox="0 0 %3$d %4$d" role="img" aria-labelledby="%1$s-title %1$s-desc" preserveAspectRatio="none"><title id="%1$s-title">%5$s</title><desc id="%1$s-desc">%6$s</desc>',
		esc_attr( $id ),
		esc_attr( $kind ),
		CHART_WIDTH,
		CHART_HEIGHT + 20,
		esc_html( $title ),
		esc_html( $desc )
	);
	$svg  .= sprintf( '<line class="atai-chart-axis" x1="0" y1="%1$d" x2="%2$d" y2="%1$d" />', CHART_HEIGHT, CHART_WIDTH );
	$index = 0;
	foreach ( $values as $day => $value ) {
		$height = $max > 0 ? round( CHART_HEIGHT * $value / $max, 1 ) : 0;
		$svg   .= sprintf(
			'<rect class="atai-chart-bar" x="%1$s" y="%2$s" width="%3$s" height="%4$s"><title>%5$s</title></rect>',
			esc_attr( (string) round( $index * $slot + $slot * 0.15, 1 ) ),
			esc_attr( (string) ( CHART_HEIGHT - $height ) ),
			esc_attr( (string) round( $slot * 0.7, 1 ) ),
			esc_attr( (string) $height ),
			/* translators: 1: a date, 2: the value that day. */
			esc_html( sprintf( __( '%1$s: %2$s', 'automationtools-ai' ), day_label( $day ), format_value( $value, $kind ) ) )
		);
		++$index;
	}
	$svg .= sprintf( '<text class="atai-chart-label" x="0" y="%1$d">%2$s</text>', CHART_HEIGHT + 16, esc_html( day_label( (string) array_key_first( $values ) ) ) );
	$svg .= sprintf( '<text class="atai-chart-label" x="%1$d" y="%2$d" text-anchor="end">%3$s</text>', CHART_WIDTH, CHART_HEIGHT + 16, esc_html( day_label( (string) array_key_last( $values ) ) ) );
	return $svg . '</svg>';
}

/**
 * A day as the site writes dates, short.
 *
 * @since 0.2.0
 */
function day_label( string $day ): string {
	return wp_date( 'M j', Clock\timestamp( $day . ' 12:00:00' ), new \DateTimeZone( 'UTC' ) );
}

/**
 * The chart's figures as a table, folded away (the chart's fallback without SVG, and for screen readers).
 *
 * @since 0.2.0
 *
 * @param array<string, int>   $posts Posts by day.
 * @param array<string, float> $costs Cost by day.
 */
function table( array $posts, array $costs ): string {
	$html  = '<details class="atai-chart-table"><summary>' . esc_html__( 'Show the figures as a table', 'automationtools-ai' ) . '</summary>';
	$html .= '<table class="widefat striped"><caption class="screen-reader-text">' . esc_html__( 'Posts and AI cost per day', 'automationtools-ai' ) . '</caption><thead><tr>';
	$html .= '<th scope="col">' . esc_html__( 'Day', 'automationtools-ai' ) . '</th>';
	$html .= '<th scope="col">' . esc_html__( 'Posts', 'automationtools-ai' ) . '</th>';
	$html .= '<th scope="col">' . esc_html__( 'AI cost', 'automationtools-ai' ) . '</th></tr></thead><tbody>';
	foreach ( array_reverse( $posts, true ) as $day => $count ) {
		$html .= '<tr><th scope="row">' . esc_html( day_label( $day ) ) . '</th><td>' . esc_html( format_value( $count, 'posts' ) ) . '</td><td>' . esc_html( format_value( $costs[ $day ] ?? 0, 'cost' ) ) . '</td></tr>';
	}
	return $html . '</tbody></table></details>';
}
