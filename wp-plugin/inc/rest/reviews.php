<?php
/**
 * REST routes of the review queue: atai/v1/reviews (list), reviews/{key} (one, with its source),
 * reviews/{key}/approve and reviews/{key}/discard. Administrators only (manage_options); anyone else,
 * signed in or not, is refused with 403 and changes nothing. Cookie requests need the REST nonce, as
 * every REST write does.
 *
 * @package automationtools-ai
 */

namespace ATAI\REST\Reviews;

use ATAI\Clock;
use ATAI\Costs;
use ATAI\Feeds;
use ATAI\Provenance;
use ATAI\REST;
use ATAI\Reviews;
use WP_Error;
use WP_REST_Request;
use WP_REST_Response;
use WP_REST_Server;

const ROUTE_LIST    = 'reviews';
const ROUTE_ONE     = 'reviews/(?P<key>[0-9a-f]{64})';
const ROUTE_APPROVE = 'reviews/(?P<key>[0-9a-f]{64})/approve';
const ROUTE_DISCARD = 'reviews/(?P<key>[0-9a-f]{64})/discard';

/**
 * Register the routes.
 *
 * @since 0.2.0
 */
function register_routes(): void {
	$key = array(
		'key' => array(
			'description' => __( 'The item key of the held draft.', 'automationtools-ai' ),
			'type'        => 'string',
			'pattern'     => '^[0-9a-f]{64}$',
		),
	);
	register_rest_route(
		REST\NAMESPACE_V1,
		'/' . ROUTE_LIST,
		array(
			'methods'             => WP_REST_Server::READABLE,
			'callback'            => __NAMESPACE__ . '\\list_reviews',
			'permission_callback' => 'ATAI\\REST\\Permission\\administrators_only',
			'args'                => REST\paging_args( 20 ) + array(
				'feed' => array(
					'type'    => 'integer',
					'minimum' => 0,
					'default' => 0,
				),
			),
		)
	);
	register_rest_route(
		REST\NAMESPACE_V1,
		'/' . ROUTE_ONE,
		array(
			'methods'             => WP_REST_Server::READABLE,
			'callback'            => __NAMESPACE__ . '\\get_review',
			'permission_callback' => 'ATAI\\REST\\Permission\\administrators_only',
			'args'                => $key,
		)
	);
	foreach ( array(
		ROUTE_APPROVE => 'approve',
		ROUTE_DISCARD => 'discard',
	) as $route => $callback ) {
		register_rest_route(
			REST\NAMESPACE_V1,
			'/' . $route,
			array(
				'methods'             => WP_REST_Server::CREATABLE,
				'callback'            => __NAMESPACE__ . '\\' . $callback,
				'permission_callback' => 'ATAI\\REST\\Permission\\administrators_only',
				'args'                => $key,
			)
		);
	}
}

/**
 * A held item as the API shows it.
 *
 * @since 0.2.0
 *
 * @param array<string, mixed> $item    A ledger row.
 * @param bool                 $details Whether to add the draft's content and its source.
 * @return array<string, mixed>
 */
function review_data( array $item, bool $details ): array {
	$post = $item['post_id'] ? get_post( $item['post_id'] ) : null;
	$feed = Feeds\get( $item['feed_id'] );
	$data = array(
		'key'          => $item['key'],
		'feed_id'      => $item['feed_id'],
		'feed_title'   => $feed ? ( '' !== $feed->title ? $feed->title : $feed->url ) : null,
		'post_id'      => $post ? $post->ID : null,
		'title'        => $post ? $post->post_title : $item['title'],
		'source_title' => $item['title'],
		'source_url'   => '' !== $item['link'] ? $item['link'] : null,
		'held_since'   => Clock\rfc3339( $item['updated_at'] ),
		'findings'     => $post ? Provenance\findings( $post->ID ) : array(),
		'cost'         => $post ? Costs\dollars( (int) get_post_meta( $post->ID, Provenance\META_COST_MICROS, true ) ) : null,
		'edit_link'    => $post ? get_edit_post_link( $post->ID, 'raw' ) : null,
	);
	if ( $details ) {
		$data['content']     = $post ? $post->post_content : '';
		$data['source_html'] = Reviews\source_of( $item['key'] );
	}
	return $data;
}

/**
 * GET reviews: the drafts waiting, oldest first; X-WP-Total says how many wait in all.
 *
 * @since 0.2.0
 */
function list_reviews( WP_REST_Request $request ): WP_REST_Response {
	$per_page = (int) $request['per_page'];
	$items    = Reviews\waiting( $per_page, ( (int) $request['page'] - 1 ) * $per_page, (int) $request['feed'] );
	$response = rest_ensure_response( array_map( static fn( $item ) => review_data( $item, false ), $items ) );
	$response->header( 'X-WP-Total', (string) Reviews\waiting_count() );
	return $response;
}

/**
 * GET reviews/{key}: one held draft with its content and its source.
 *
 * @since 0.2.0
 *
 * @return WP_REST_Response|WP_Error
 */
function get_review( WP_REST_Request $request ) {
	$item = Reviews\waiting_item( (string) $request['key'] );
	return is_wp_error( $item ) ? $item : rest_ensure_response( review_data( $item, true ) );
}

/**
 * POST reviews/{key}/approve: publish with the feed's status, in the current user's name.
 *
 * @since 0.2.0
 *
 * @return WP_REST_Response|WP_Error
 */
function approve( WP_REST_Request $request ) {
	$result = Reviews\approve( (string) $request['key'], get_current_user_id() );
	return is_wp_error( $result ) ? $result : rest_ensure_response( $result );
}

/**
 * POST reviews/{key}/discard: trash the post; the item never comes back.
 *
 * @since 0.2.0
 *
 * @return WP_REST_Response|WP_Error
 */
function discard( WP_REST_Request $request ) {
	$result = Reviews\discard( (string) $request['key'] );
	return is_wp_error( $result ) ? $result : rest_ensure_response( $result );
}
