<?php
/**
 * REST routes of the AI endpoint's probes, for the settings page: atai/v1/ai/models and atai/v1/ai/test.
 *
 * Both send the site's saved endpoint fields to the worker, which resolves the endpoint as it does for a
 * run and answers in words; the key never comes back.
 *
 * @package automationtools-ai
 */

namespace ATAI\REST\AI;

use ATAI\Prompts;
use ATAI\REST;
use ATAI\Worker;
use WP_REST_Response;
use WP_REST_Server;

const ROUTE_MODELS = 'ai/models';
const ROUTE_TEST   = 'ai/test';

/**
 * Register the routes.
 *
 * @since 0.2.0
 */
function register_routes(): void {
	register_rest_route(
		REST\NAMESPACE_V1,
		'/' . ROUTE_MODELS,
		array(
			'methods'             => WP_REST_Server::READABLE,
			'callback'            => __NAMESPACE__ . '\\models',
			'permission_callback' => 'ATAI\\REST\\can_manage',
		)
	);
	register_rest_route(
		REST\NAMESPACE_V1,
		'/' . ROUTE_TEST,
		array(
			'methods'             => WP_REST_Server::CREATABLE,
			'callback'            => __NAMESPACE__ . '\\test',
			'permission_callback' => 'ATAI\\REST\\can_manage',
		)
	);
}

/**
 * GET ai/models: the models the endpoint offers, or why there is no list.
 *
 * @since 0.2.0
 *
 * @return WP_REST_Response|\WP_Error
 */
function models() {
	$answer = Worker\ai_models( Prompts\site_endpoint() );
	return is_wp_error( $answer ) ? $answer : rest_ensure_response( $answer );
}

/**
 * POST ai/test: one real call with the saved key and model; the result in words.
 *
 * @since 0.2.0
 *
 * @return WP_REST_Response|\WP_Error
 */
function test() {
	$answer = Worker\ai_test( Prompts\site_endpoint() );
	return is_wp_error( $answer ) ? $answer : rest_ensure_response( $answer );
}
