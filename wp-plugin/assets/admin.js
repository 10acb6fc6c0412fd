/**
 * AutomationTools.AI admin screens: the "Test connection" and "Test AI endpoint" buttons, the models the
 * endpoint offers, and the delete and discard confirmations.
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

	function testEndpoint( button, result ) {
		button.disabled = true;
		result.className = 'atai-connection-result';
		result.textContent = __( 'Calling the AI endpoint...', 'automationtools-ai' );
		window.wp
			.apiFetch( { path: '/atai/v1/ai/test', method: 'POST' } )
			.then( function ( answer ) {
				result.classList.add( answer.ok ? 'is-ok' : 'is-error' );
				result.textContent = answer.message;
				return window.wp.apiFetch( { path: '/atai/v1/ai/models' } );
			} )
			.then( function ( list ) {
				var datalist = document.getElementById( 'atai-models' );
				if ( ! list || ! datalist ) {
					return;
				}
				datalist.textContent = '';
				list.models.forEach( function ( name ) {
					var option = document.createElement( 'option' );
					option.value = name;
					datalist.appendChild( option );
				} );
				result.textContent += ' ' + list.message;
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
		var aiButton = document.getElementById( 'atai-test-ai' );
		var aiResult = document.getElementById( 'atai-ai-result' );
		if ( aiButton && aiResult ) {
			aiButton.addEventListener( 'click', function () {
				testEndpoint( aiButton, aiResult );
			} );
		}

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
