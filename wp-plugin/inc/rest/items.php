<?php
/**
 * The feed items routes: GET feeds/{id}/items (each item's state, post, error and skip reason) and
 * POST feeds/{id}/items/{key}/import ("Import anyway"). Registered with the others in inc/rest.php.
 *
 * @package automationtools-ai
 */

namespace ATAI\REST;

use ATAI\Clock;
use ATAI\Ledger;
use WP_Error;
use WP_REST_Request;
use WP_REST_Response;

/**
 * GET feeds/{id}/items: the most recently changed ledger rows.
 *
 * @since 0.1.0
 *
 * @return WP_REST_Response|WP_Error
 */
function list_items( WP_REST_Request $request ) {
	$feed = requested_feed( $request );
	if ( is_wp_error( $feed ) ) {
		return $feed;
	}
	$items    = Ledger\recent( $feed->id, (int) $request['per_page'] );
	$skips    = \ATAI\Skips\skips_of( $items );
	$post_ids = array_filter( array_column( $items, 'post_id' ) );
	if ( $post_ids ) {
		_prime_post_caches( $post_ids, false, false );
	}
	$data = array();
	foreach ( $items as $item ) {
		$data[] = array(
			'key'             => $item['key'],
			'title'           => $item['title'],
			'link'            => $item['link'],
			'state'           => $item['state'],
			'post_id'         => $item['post_id'] ?: null,
			'post_link'       => $item['post_id'] ? get_permalink( $item['post_id'] ) : null,
			'attempts'        => $item['attempts'],
			'failed_for_good' => $item['failed_for_good'],
			'retry_at'        => Clock\rfc3339( $item['retry_at'] ),
			'waiting'         => Ledger\retry_note( $item ),
			'error'           => '' === $item['error_code'] || 'skipped' === $item['state'] ? null : array(
				'code'    => $item['error_code'],
				'message' => $item['error_message'],
			),
			// Why a skipped item has no post of its own: the post it matched, how, and the reason in words;
			// or the feed's filter that left it out.
			'skip'            => isset( $skips[ $item['key'] ] ) ? skip_response( $skips[ $item['key'] ] ) : ( 'skipped' === $item['state'] ? filter_skip_response( $item ) : null ),
			'notes'           => '' === $item['notes'] ? array() : explode( "\n", $item['notes'] ),
			'source_changed'  => Clock\rfc3339( $item['source_changed'] ),
			'updated'         => Clock\rfc3339( $item['updated_at'] ),
		);
	}
	return rest_ensure_response( $data );
}

/**
 * A skip for the items route.
 *
 * @since 0.2.0
 *
 * @param array<string, mixed> $skip From Skips\skips().
 * @return array<string, mixed>
 */
function skip_response( array $skip ): array {
	return array(
		'reason'     => $skip['layer'],
		'message'    => $skip['message'],
		'post_id'    => $skip['post_id'],
		'post_title' => $skip['post_title'],
		'post_link'  => get_permalink( $skip['post_id'] ) ?: null,
		'feed_id'    => $skip['feed_id'],
		'feed_title' => $skip['feed_title'],
		'similarity' => $skip['similarity'],
		'flagged'    => $skip['flagged'],
	);
}

/**
 * A skip by the feed's filters for the items route: its code as the reason and its words, no post.
 *
 * @since 0.3.0
 *
 * @param array<string, mixed> $item A skipped ledger row without a duplicate's record.
 * @return array<string, mixed>
 */
function filter_skip_response( array $item ): array {
	return array(
		'reason'     => $item['error_code'],
		'message'    => $item['error_message'],
		'post_id'    => null,
		'post_title' => null,
		'post_link'  => null,
		'feed_id'    => null,
		'feed_title' => null,
		'similarity' => null,
		'flagged'    => false,
	);
}

/**
 * POST feeds/{id}/items/{key}/import: post a skipped item after all ("Import anyway").
 *
 * @since 0.2.0
 *
 * @return WP_REST_Response|WP_Error
 */
function import_item_anyway( WP_REST_Request $request ) {
	$feed = requested_feed( $request );
	if ( is_wp_error( $feed ) ) {
		return $feed;
	}
	$item = Ledger\get( (string) $request['key'] );
	if ( null === $item || $item['feed_id'] !== $feed->id ) {
		return new WP_Error( 'atai_item_not_found', __( 'This feed has no such item.', 'automationtools-ai' ), array( 'status' => 404 ) );
	}
	$post_id = \ATAI\Skips\import_anyway( $item['key'] );
	if ( is_wp_error( $post_id ) ) {
		$data = $post_id->get_error_data();
		$post_id->add_data( array( 'status' => is_array( $data ) && isset( $data['status'] ) ? $data['status'] : 500 ) );
		return $post_id;
	}
	$response = rest_ensure_response(
		array(
			'post_id'   => $post_id,
			'post_link' => get_permalink( $post_id ),
		)
	);
	$response->set_status( 201 );
	return $response;
}
