<?php
/**
 * REST: GET atai/v1/feeds/{id}/progress, what "Run now" followed live polls.
 *
 * @package automationtools-ai
 */

namespace ATAI\REST\Run_Progress;

use ATAI\Feeds;
use ATAI\REST;
use ATAI\Run_Progress;
use WP_Error;
use WP_REST_Request;
use WP_REST_Server;

const ROUTE = 'feeds/(?P<id>\d+)/progress';

/**
 * Register the route.
 *
 * @since 0.2.0
 */
function register_routes(): void {
	register_rest_route(
		REST\NAMESPACE_V1,
		'/' . ROUTE,
		array(
			'methods'             => WP_REST_Server::READABLE,
			'callback'            => __NAMESPACE__ . '\\get_progress',
			'permission_callback' => 'ATAI\\REST\\Permission\\administrators_only',
			'args'                => array(
				'id'  => array(
					'description' => __( 'Feed ID.', 'automationtools-ai' ),
					'type'        => 'integer',
					'minimum'     => 1,
				),
				'run' => array(
					'description' => __( 'The run to follow; the feed\'s current run when left out.', 'automationtools-ai' ),
					'type'        => 'string',
					'pattern'     => '^[0-9a-f]{32}$',
				),
			),
		)
	);
}

/**
 * GET feeds/{id}/progress.
 *
 * @since 0.2.0
 *
 * @return \WP_REST_Response|WP_Error
 */
function get_progress( WP_REST_Request $request ) {
	$feed = Feeds\get( (int) $request['id'] );
	if ( null === $feed ) {
		return Feeds\not_found( (int) $request['id'] );
	}
	$run_id = (string) ( $request['run'] ?? $feed->run_id ?? '' );
	if ( '' === $run_id ) {
		return new WP_Error( 'atai_no_run', __( 'This feed has no run in progress.', 'automationtools-ai' ), array( 'status' => 404 ) );
	}
	return rest_ensure_response( Run_Progress\poll( $feed, $run_id ) );
}
