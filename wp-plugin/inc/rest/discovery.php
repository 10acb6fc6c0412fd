<?php
/**
 * REST routes for adding a feed: find the feeds of an address, and preview what a feed would post.
 *
 * Both ask the worker and store nothing; both need manage_options, like every route of the plugin
 * but the worker's callback.
 *
 * @package automationtools-ai
 */

namespace ATAI\REST\Discovery;

use ATAI\Discovery;
use ATAI\Feed_Options;
use ATAI\Feeds;
use ATAI\REST;
use WP_REST_Request;
use WP_REST_Response;
use WP_REST_Server;

const ROUTE_DISCOVER = 'discover';
const ROUTE_PREVIEW  = 'preview';

/**
 * Register the routes.
 *
 * @since 0.3.0
 */
function register_routes(): void {
	$url = array(
		'description'       => __( 'Any address: a feed, or a page of a site.', 'automationtools-ai' ),
		'type'              => 'string',
		'required'          => true,
		'validate_callback' => static function ( $value ) {
			$clean = Feeds\check_field( 'url', $value );
			return is_wp_error( $clean ) ? $clean : true;
		},
	);
	register_rest_route(
		REST\NAMESPACE_V1,
		'/' . ROUTE_DISCOVER,
		array(
			'methods'             => WP_REST_Server::CREATABLE,
			'callback'            => __NAMESPACE__ . '\\discover',
			'permission_callback' => 'ATAI\\REST\\Permission\\administrators_only',
			'args'                => array( 'url' => $url ),
		)
	);

	$args = array(
		'url'     => $url,
		'rewrite' => array(
			'description' => __( 'Have the model write the first entry as a run would (paid for); otherwise the cleaned original.', 'automationtools-ai' ),
			'type'        => 'boolean',
			'default'     => false,
		),
	);
	$feed_args = REST\feed_args();
	foreach ( array_keys( Feed_Options\definitions() ) as $name ) {
		$args[ $name ] = $feed_args[ $name ];
	}
	register_rest_route(
		REST\NAMESPACE_V1,
		'/' . ROUTE_PREVIEW,
		array(
			'methods'             => WP_REST_Server::CREATABLE,
			'callback'            => __NAMESPACE__ . '\\preview',
			'permission_callback' => 'ATAI\\REST\\Permission\\administrators_only',
			'args'                => $args,
		)
	);
}

/**
 * POST discover: the feeds found at an address, each with the ID of this site's feed that has it.
 *
 * @since 0.3.0
 *
 * @return WP_REST_Response|\WP_Error
 */
function discover( WP_REST_Request $request ) {
	$found = Discovery\find( Feeds\check_field( 'url', $request['url'] ) );
	return is_wp_error( $found ) ? $found : rest_ensure_response( $found );
}

/**
 * POST preview: what a feed at this address, with these options, would post.
 *
 * @since 0.3.0
 *
 * @return WP_REST_Response|\WP_Error
 */
function preview( WP_REST_Request $request ) {
	$values = array( 'url' => Feeds\check_field( 'url', $request['url'] ) ) + Feeds\defaults();
	foreach ( array_keys( Feed_Options\definitions() ) as $name ) {
		if ( $request->has_param( $name ) ) {
			$values[ $name ] = Feeds\check_field( $name, $request->get_param( $name ) );
		}
	}
	// A model call may take a minute; a preview is worth waiting for, the page says it is working.
	if ( $request['rewrite'] && function_exists( 'set_time_limit' ) ) {
		set_time_limit( 180 ); // phpcs:ignore Squiz.PHP.DiscouragedFunctions.Discouraged -- only this request, which waits on the model.
	}
	$preview = Discovery\preview( $values, (bool) $request['rewrite'] );
	return is_wp_error( $preview ) ? $preview : rest_ensure_response( $preview );
}
