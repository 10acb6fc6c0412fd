<?php
/**
 * A feed's health where the site owner looks: its state in words on the Feeds list, and on its own
 * screen the state with the current error and advice, any note a run left, and the run history.
 *
 * @package automationtools-ai
 */

namespace ATAI\Admin\Feed_Health_View;

use ATAI\Admin\Feeds_Page;
use ATAI\Admin\Health_Notices;
use ATAI\Feed;
use ATAI\Health;
use ATAI\Run_Log;

/** Runs the feed's screen lists. */
const HISTORY_ROWS = 20;

/**
 * The state in a word, then what it means: for the Feeds list's status column.
 *
 * @since 0.3.0
 */
function status_cell( Feed $feed ): string {
	$state   = Health\state( $feed );
	$summary = Health\summary( $feed );
	$html    = '<strong class="atai-state atai-state-' . esc_attr( $state ) . '">' . esc_html( Health\label( $state ) ) . '</strong>';
	return $html . ( '' === $summary ? '' : '<br /><span class="atai-state-summary">' . esc_html( $summary ) . '</span>' );
}

/**
 * The box at the top of a feed's screen: state, summary, advice and note.
 *
 * @since 0.3.0
 */
function render_health( Feed $feed ): void {
	$state = Health\state( $feed );
	$kinds = array(
		'active'  => 'success',
		'paused'  => 'info',
		'failing' => 'error',
		'gone'    => 'warning',
	);
	echo '<div class="atai-health notice inline notice-' . esc_attr( $kinds[ $state ] ) . '" id="atai-health">';
	echo '<p><strong>' . esc_html__( 'Status:', 'automationtools-ai' ) . '</strong> <span class="atai-state atai-state-' . esc_attr( $state ) . '">' . esc_html( Health\label( $state ) ) . '</span>';
	$summary = Health\summary( $feed );
	if ( '' !== $summary ) {
		echo ' — ' . esc_html( $summary );
	}
	echo '</p>';
	if ( 'failing' !== $state && '' !== $feed->last_error ) {
		echo '<p class="atai-error">' . esc_html( $feed->last_error ) . '</p>';
	}
	$advice = Health\advice( $feed );
	if ( '' !== $advice ) {
		echo '<p class="atai-advice"><strong>' . esc_html__( 'What to do:', 'automationtools-ai' ) . '</strong> ' . esc_html( $advice ) . '</p>';
	}
	echo '</div>';
	if ( '' !== $feed->note ) {
		echo '<div class="atai-note notice inline notice-info" id="atai-note"><p>' . esc_html( $feed->note ) . ' ';
		echo '<a href="' . esc_url( Health_Notices\clear_note_url( $feed->id ) ) . '">' . esc_html__( 'Dismiss this note', 'automationtools-ai' ) . '</a></p></div>';
	}
}

/**
 * The feed's recent runs: when, what the fetch found, what became of the items, how long it took.
 *
 * @since 0.3.0
 */
function render_run_history( int $feed_id ): void {
	$runs = Run_Log\recent( $feed_id, HISTORY_ROWS );
	echo '<h2>' . esc_html__( 'Run history', 'automationtools-ai' ) . '</h2>';
	if ( ! $runs ) {
		echo '<p>' . esc_html__( 'No run has finished yet: the first one starts within a minute of adding the feed.', 'automationtools-ai' ) . '</p>';
		return;
	}
	render_runs_table( $runs );
}

/**
 * A table of runs: when, what the fetch found, what became of the items, how long it took; with feed
 * names (by feed ID), a first column naming each run's feed, as the Activity screen shows them.
 *
 * @since 0.3.0
 *
 * @param array<int, array<string, mixed>> $runs       Runs of Run_Log.
 * @param array<int, string>|null          $feed_names Feed names by ID, or null for one feed's runs.
 */
function render_runs_table( array $runs, ?array $feed_names = null ): void {
	$columns = ( null === $feed_names ? array() : array( 'feed' => __( 'Feed', 'automationtools-ai' ) ) ) + array(
		'time'     => __( 'Time', 'automationtools-ai' ),
		'fetch'    => __( 'Feed', 'automationtools-ai' ),
		'new'      => __( 'New', 'automationtools-ai' ),
		'skipped'  => __( 'Skipped', 'automationtools-ai' ),
		'posted'   => __( 'Posted', 'automationtools-ai' ),
		'held'     => __( 'Held', 'automationtools-ai' ),
		'failed'   => __( 'Failed', 'automationtools-ai' ),
		'duration' => __( 'Duration', 'automationtools-ai' ),
	);
	if ( null !== $feed_names ) {
		$columns['fetch'] = __( 'Fetch', 'automationtools-ai' );
	}
	echo '<table class="widefat striped atai-runs"><thead><tr>';
	foreach ( $columns as $key => $label ) {
		echo '<th scope="col" class="column-' . esc_attr( $key ) . '">' . esc_html( $label ) . '</th>';
	}
	echo '</tr></thead><tbody>';
	foreach ( $runs as $run ) {
		$cells = array(
			'time'     => Health\when( \ATAI\Clock\timestamp( $run['finished_at'] ) ),
			'fetch'    => fetch_words( $run ),
			'new'      => number_format_i18n( $run['entries_new'] ),
			'skipped'  => number_format_i18n( $run['items_skipped'] ),
			'posted'   => number_format_i18n( $run['items_posted'] ),
			'held'     => number_format_i18n( $run['items_held'] ),
			'failed'   => number_format_i18n( $run['items_failed'] ),
			/* translators: %s: number of seconds. */
			'duration' => null === $run['duration'] ? '—' : sprintf( __( '%s s', 'automationtools-ai' ), number_format_i18n( $run['duration'] ) ),
		);
		echo '<tr class="atai-run-' . esc_attr( $run['state'] ) . '">';
		if ( null !== $feed_names ) {
			echo '<td class="column-feed">' . ( isset( $feed_names[ $run['feed_id'] ] )
				? '<a href="' . esc_url( Feeds_Page\url( array( 'action' => 'edit', 'feed' => $run['feed_id'] ) ) ) . '">' . esc_html( $feed_names[ $run['feed_id'] ] ) . '</a>'
				: esc_html__( 'A deleted feed', 'automationtools-ai' ) ) . '</td>';
		}
		foreach ( $cells as $key => $text ) {
			echo '<td class="column-' . esc_attr( $key ) . '">' . esc_html( $text );
			if ( 'fetch' === $key && '' !== $run['error_message'] ) {
				echo '<br /><small class="atai-error">' . esc_html( $run['error_message'] ) . '</small>';
			}
			echo '</td>';
		}
		echo '</tr>';
	}
	echo '</tbody></table>';
}

/**
 * What the fetch of a run found, in words.
 *
 * @since 0.3.0
 *
 * @param array<string, mixed> $run A run of Run_Log\recent().
 */
function fetch_words( array $run ): string {
	if ( 'lost' === $run['state'] ) {
		return __( 'Lost by the worker', 'automationtools-ai' );
	}
	if ( 'not_modified' === $run['fetch_result'] ) {
		return __( 'Not modified', 'automationtools-ai' );
	}
	if ( 'fetched' === $run['fetch_result'] ) {
		return 0 === $run['entries_deferred'] ? __( 'Fetched', 'automationtools-ai' ) : sprintf(
			/* translators: %d: number of entries. */
			_n( 'Fetched; %d entry left for the next run', 'Fetched; %d entries left for the next run', $run['entries_deferred'], 'automationtools-ai' ),
			$run['entries_deferred']
		);
	}
	/* translators: %d: HTTP status code. */
	return $run['http_status'] > 0 ? sprintf( __( 'Failed (HTTP %d)', 'automationtools-ai' ), $run['http_status'] ) : __( 'Failed', 'automationtools-ai' );
}
