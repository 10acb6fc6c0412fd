<?php
/**
 * Feeds that need the site owner, in a notice on every admin screen (Health\incidents()): a feed
 * failing for more than a day, a feed that is gone, a feed whose runs stopped. Each incident has a
 * link to its feed and can be dismissed; a new incident of the same feed shows again. Also the
 * handler that clears a feed's note.
 *
 * @package automationtools-ai
 */

namespace ATAI\Admin\Health_Notices;

use ATAI\Admin\Feeds_Page;
use ATAI\Health;
use ATAI\Runs;

const DISMISS_ACTION    = 'atai_dismiss_incident';
const CLEAR_NOTE_ACTION = 'atai_clear_note';

/** User meta: the incident IDs this user dismissed. */
const DISMISSED_META = 'atai_dismissed_incidents';

/** Notices shown at once; the rest are counted. */
const SHOWN = 3;

/** Dismissed incident IDs remembered per user. */
const REMEMBERED = 200;

/**
 * Print the notices of the incidents the current user has not dismissed.
 *
 * @since 0.3.0
 */
function render(): void {
	if ( ! current_user_can( 'manage_options' ) ) {
		return;
	}
	$dismissed = dismissed();
	$open      = array_values( array_filter( Health\incidents(), static fn( array $incident ) => ! in_array( $incident['id'], $dismissed, true ) ) );
	foreach ( array_slice( $open, 0, SHOWN ) as $incident ) {
		$feed = $incident['feed'];
		$link = Feeds_Page\url(
			array(
				'action' => 'edit',
				'feed'   => $feed->id,
			)
		);
		printf(
			'<div class="notice notice-%1$s atai-health-notice" data-incident="%2$s"><p><strong>%3$s</strong> %4$s</p><p><a href="%5$s">%6$s</a> | <a href="%7$s" class="atai-dismiss-incident">%8$s</a></p></div>',
			esc_attr( 'stalled' === $incident['kind'] ? 'warning' : 'error' ),
			esc_attr( $incident['id'] ),
			esc_html__( 'AutomationTools.AI:', 'automationtools-ai' ),
			esc_html( $incident['message'] ),
			esc_url( $link ),
			esc_html__( 'Open the feed', 'automationtools-ai' ),
			esc_url( dismiss_url( $incident['id'] ) ),
			esc_html__( 'Dismiss', 'automationtools-ai' )
		);
	}
	$more = count( $open ) - SHOWN;
	if ( $more > 0 ) {
		printf(
			'<div class="notice notice-error atai-health-notice"><p>%1$s <a href="%2$s">%3$s</a></p></div>',
			/* translators: %d: number of feeds. */
			esc_html( sprintf( _n( 'AutomationTools.AI: %d more feed needs attention.', 'AutomationTools.AI: %d more feeds need attention.', $more, 'automationtools-ai' ), $more ) ),
			esc_url( Feeds_Page\url() ),
			esc_html__( 'See the feeds', 'automationtools-ai' )
		);
	}
}

/**
 * The incident IDs the current user dismissed.
 *
 * @since 0.3.0
 *
 * @return string[]
 */
function dismissed(): array {
	$ids = get_user_meta( get_current_user_id(), DISMISSED_META, true );
	return is_array( $ids ) ? array_values( array_filter( $ids, 'is_string' ) ) : array();
}

/**
 * The nonce-protected URL that dismisses an incident and comes back.
 *
 * @since 0.3.0
 */
function dismiss_url( string $incident ): string {
	return wp_nonce_url(
		add_query_arg(
			array(
				'action'   => DISMISS_ACTION,
				'incident' => $incident,
			),
			admin_url( 'admin-post.php' )
		),
		DISMISS_ACTION . '_' . $incident
	);
}

/**
 * The nonce-protected URL that clears a feed's note.
 *
 * @since 0.3.0
 */
function clear_note_url( int $feed_id ): string {
	return Feeds_Page\action_url( CLEAR_NOTE_ACTION, $feed_id );
}

/**
 * Handler of "Dismiss": remember the incident for this user, go back where they were.
 *
 * @since 0.3.0
 */
function handle_dismiss(): void {
	$incident = isset( $_GET['incident'] ) ? sanitize_text_field( wp_unslash( $_GET['incident'] ) ) : ''; // phpcs:ignore WordPress.Security.NonceVerification.Recommended -- check_request() verifies the nonce, which names this incident.
	Feeds_Page\check_request( DISMISS_ACTION . '_' . $incident );
	dismiss( $incident );
	wp_safe_redirect( wp_get_referer() ? wp_get_referer() : admin_url() );
	exit;
}

/**
 * Remember that the current user dismissed an incident (the most recent REMEMBERED are kept).
 *
 * @since 0.3.0
 */
function dismiss( string $incident ): void {
	$ids   = array_values( array_diff( dismissed(), array( $incident ) ) );
	$ids[] = $incident;
	update_user_meta( get_current_user_id(), DISMISSED_META, array_slice( $ids, -REMEMBERED ) );
}

/**
 * Handler of "Dismiss this note" on a feed's screen.
 *
 * @since 0.3.0
 */
function handle_clear_note(): void {
	$feed_id = Feeds_Page\requested_feed_id();
	Feeds_Page\check_request( CLEAR_NOTE_ACTION . '_' . $feed_id );
	Runs\clear_note( $feed_id );
	wp_safe_redirect(
		Feeds_Page\url(
			array(
				'action' => 'edit',
				'feed'   => $feed_id,
			)
		)
	);
	exit;
}
