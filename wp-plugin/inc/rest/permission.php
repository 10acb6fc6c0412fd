<?php
/**
 * The permission of the plugin's REST routes (all but the worker's signed callback): administrators
 * only, and 403 for anyone else, logged in or not.
 *
 * @package automationtools-ai
 */

namespace ATAI\REST\Permission;

use WP_Error;

/**
 * Permission callback: manage_options, else 403.
 *
 * @since 0.2.0
 *
 * @return true|WP_Error
 */
function administrators_only() {
	if ( current_user_can( 'manage_options' ) ) {
		return true;
	}
	return new WP_Error( 'rest_forbidden', __( 'Only administrators can manage AutomationTools.AI.', 'automationtools-ai' ), array( 'status' => 403 ) );
}
