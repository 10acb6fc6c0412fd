/**
 * AutomationTools.AI admin screens: the "Test connection" button and the delete confirmation.
 */
( function () {
	'use strict';

	var __ = window.wp.i18n.__;

	function testConnection( button, result ) {
		button.disabled = true;
		result.className = 'atai-connection-result';
		result.textContent = __( 'Asking the worker...', 'automationtools-ai' );
		window.wp
			.apiFetch( { path: '/atai/v1/worker/status' } )
			.then( function ( answer ) {
				result.classList.add( 'is-ok' );
				result.textContent = answer.message;
			} )
			.catch( function ( error ) {
				result.classList.add( 'is-error' );
				result.textContent =
					error && error.message
						? error.message
						: __( 'The test failed without an answer from WordPress.', 'automationtools-ai' );
			} )
			.finally( function () {
				button.disabled = false;
			} );
	}

	document.addEventListener( 'DOMContentLoaded', function () {
		var button = document.getElementById( 'atai-test-connection' );
		var result = document.getElementById( 'atai-connection-result' );
		if ( button && result ) {
			button.addEventListener( 'click', function () {
				testConnection( button, result );
			} );
		}

		document.querySelectorAll( 'a.atai-delete' ).forEach( function ( link ) {
			link.addEventListener( 'click', function ( event ) {
				// eslint-disable-next-line no-alert
				if ( ! window.confirm( link.getAttribute( 'data-confirm' ) ) ) {
					event.preventDefault();
				}
			} );
		} );
	} );
} )();
