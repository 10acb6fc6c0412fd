<?php
/**
 * REST: GET atai/v1/site-health/ai, Site Health's asynchronous test of the AI endpoint (it waits for a model).
 *
 * @package automationtools-ai
 */

namespace ATAI\REST\Site_Health;

use ATAI\REST;
use ATAI\Site_Health;
use WP_REST_Server;

const ROUTE = 'site-health/ai';

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
			'callback'            => static fn() => rest_ensure_response( Site_Health\test_ai() ),
			'permission_callback' => 'ATAI\\REST\\Permission\\administrators_only',
		)
	);
}
