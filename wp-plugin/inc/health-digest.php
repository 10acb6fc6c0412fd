<?php
/**
 * The daily e-mail of feed problems: when the site owner turned it on (Settings\HEALTH_DIGEST), once a
 * day the site's admin address gets the incidents of Health\incidents(), each with a link to its feed.
 * Nothing is sent on a day without problems.
 *
 * @package automationtools-ai
 */

namespace ATAI\Health_Digest;

use ATAI\Admin\Feeds_Page;
use ATAI\Health;
use ATAI\Settings;

const HOOK = 'atai_health_digest';

/**
 * Schedule the daily digest unless it is scheduled (safe to call on every load).
 *
 * @since 0.3.0
 */
function ensure_scheduled(): void {
	if ( false === wp_next_scheduled( HOOK ) ) {
		wp_schedule_event( time() + HOUR_IN_SECONDS, 'daily', HOOK );
	}
}

/**
 * Remove the digest from the schedule.
 *
 * @since 0.3.0
 */
function unschedule(): void {
	wp_clear_scheduled_hook( HOOK );
}

/**
 * The daily event: send the digest if it is on and there are problems; returns whether mail was sent.
 *
 * @since 0.3.0
 */
function send(): bool {
	if ( ! Settings\get( Settings\HEALTH_DIGEST ) ) {
		return false;
	}
	$incidents = Health\incidents();
	if ( ! $incidents ) {
		return false;
	}
	$site = wp_specialchars_decode( get_bloginfo( 'name' ), ENT_QUOTES );
	return wp_mail(
		get_option( 'admin_email' ),
		sprintf(
			/* translators: 1: site name, 2: number of feeds. */
			_n( '[%1$s] %2$d feed needs attention', '[%1$s] %2$d feeds need attention', count( $incidents ), 'automationtools-ai' ),
			$site,
			count( $incidents )
		),
		body( $incidents )
	);
}

/**
 * The digest's text: one paragraph per incident, with the feed's link.
 *
 * @since 0.3.0
 *
 * @param array<int, array{id: string, kind: string, feed: \ATAI\Feed, message: string}> $incidents The incidents.
 */
function body( array $incidents ): string {
	$lines = array( __( 'These feeds of your site need attention:', 'automationtools-ai' ), '' );
	foreach ( $incidents as $incident ) {
		$lines[] = '- ' . $incident['message'];
		$advice  = Health\advice( $incident['feed'] );
		if ( '' !== $advice ) {
			$lines[] = '  ' . $advice;
		}
		$lines[] = '  ' . Feeds_Page\url(
			array(
				'action' => 'edit',
				'feed'   => $incident['feed']->id,
			)
		);
		$lines[] = '';
	}
	/* translators: %s: URL of the plugin's settings screen. */
	$lines[] = sprintf( __( 'This e-mail comes once a day while there are problems. Turn it off under AutomationTools.AI > Settings: %s', 'automationtools-ai' ), admin_url( 'admin.php?page=atai-settings' ) );
	return implode( "\n", $lines );
}
