<?php
/**
 * Adding a feed on the form: the "Find feeds" and "Preview" tools beside the address, and the check
 * of a new address when the form is saved (Discovery\check_source()): a page's only feed is taken,
 * a page with several offers them to choose from, an address that is not a feed or cannot be read is
 * refused with the reason at the field, and "save anyway, paused" is offered when the site seems down.
 *
 * @package automationtools-ai
 */

namespace ATAI\Admin\Add_Feed_View;

use ATAI\Discovery;
use ATAI\Feed;
use ATAI\Feed_Options;
use ATAI\Feeds;
use ATAI\Settings;
use WP_Error;

/**
 * The tools under the address field: buttons, the places their answers go, and what the last refused
 * save offered (the feeds to choose from, "save anyway, paused").
 *
 * @since 0.3.0
 *
 * @param array<string, mixed> $offers What a refused save offered (feeds, save_paused), or nothing.
 */
function url_tools( array $offers ): string {
	$html  = '<p class="atai-url-tools">';
	$html .= '<button type="button" class="button" id="atai-find-feeds">' . esc_html__( 'Find feeds', 'automationtools-ai' ) . '</button> ';
	$html .= sprintf(
		'<button type="button" class="button" id="atai-preview" data-ai="%1$s" data-options="%2$s">%3$s</button>',
		Settings\get( Settings\AI_ENABLED ) ? '1' : '0',
		esc_attr( implode( ',', array_keys( Feed_Options\definitions() ) ) ),
		esc_html__( 'Preview', 'automationtools-ai' )
	);
	$html .= '</p><div id="atai-discovery" aria-live="polite">';
	if ( ! empty( $offers['feeds'] ) ) {
		$html .= candidates( $offers['feeds'] );
	}
	$html .= '</div>';
	if ( ! empty( $offers['save_paused'] ) ) {
		$html .= '<p class="atai-save-paused"><label><input type="checkbox" name="save_paused" id="atai-save-paused" value="1" /> ';
		$html .= esc_html__( 'Save anyway, paused: the feed does not run until you resume it.', 'automationtools-ai' ) . '</label></p>';
	}
	return $html . '<div id="atai-preview-result" aria-live="polite"></div>';
}

/**
 * The feeds a page names, to choose one (a radio button each; choosing fills the address field).
 *
 * @since 0.3.0
 *
 * @param array<int, array<string, mixed>> $feeds Discovery feeds, with "added" and "format_label".
 */
function candidates( array $feeds ): string {
	$html = '<fieldset class="atai-candidates"><legend>' . esc_html__( 'Feeds found at this address:', 'automationtools-ai' ) . '</legend>';
	foreach ( $feeds as $index => $feed ) {
		$added = $feed['added'] ?? null;
		$html .= sprintf(
			'<p><label><input type="radio" name="candidate" value="%1$s" id="atai-candidate-%2$d"%3$s /> <strong>%4$s</strong> <span class="atai-url">%5$s</span> (%6$s)</label>%7$s</p>',
			esc_attr( $feed['url'] ),
			(int) $index,
			null === $added ? '' : ' disabled',
			esc_html( $feed['title'] ?? $feed['url'] ),
			esc_html( $feed['url'] ),
			esc_html(
				sprintf(
					/* translators: 1: feed format such as "RSS 2.0", 2: number of entries. */
					_n( '%1$s, %2$d entry', '%1$s, %2$d entries', $feed['entries_total'], 'automationtools-ai' ),
					$feed['format_label'] ?? $feed['format'],
					$feed['entries_total']
				)
			),
			/* translators: %d: feed ID. */
			null === $added ? '' : ' <em>' . esc_html( sprintf( __( 'already added as feed #%d', 'automationtools-ai' ), $added ) ) . '</em>'
		);
	}
	return $html . '</fieldset>';
}

/**
 * The form's values with the address checked, when it is new: the page's only feed taken, a chosen
 * candidate taken, "save anyway, paused" honoured; or why the address is refused.
 *
 * @since 0.3.0
 *
 * @param array<string, string> $input   The form's values by field.
 * @param array<string, mixed>  $post    The whole posted form.
 * @param Feed|null             $current The feed being edited, or null.
 * @return array{input: array<string, string>, from_page: bool}|WP_Error
 */
function checked_source( array $input, array $post, ?Feed $current ) {
	$candidate = isset( $post['candidate'] ) && is_string( $post['candidate'] ) ? Settings\clean_url( $post['candidate'] ) : '';
	if ( '' !== $candidate ) {
		$input['url'] = $candidate;
	}
	$url = Feeds\check_field( 'url', $input['url'] ?? '' );
	if ( is_wp_error( $url ) || ( null !== $current && $url === $current->url ) ) {
		return array(
			'input'     => $input,
			'from_page' => false,
		);
	}
	if ( ! empty( $post['save_paused'] ) ) {
		$input['status'] = 'paused';
		return array(
			'input'     => $input,
			'from_page' => false,
		);
	}
	$source = Discovery\check_source( $url );
	if ( is_wp_error( $source ) ) {
		return $source;
	}
	$input['url'] = $source['url'];
	return array(
		'input'     => $input,
		'from_page' => $source['from_page'],
	);
}
