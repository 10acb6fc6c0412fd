/**
 * AutomationTools.AI admin screens: the "Test connection" and "Test AI endpoint" buttons, the models the
 * endpoint offers, finding feeds at an address, the preview, and the delete and discard confirmations.
 */
( function () {
	'use strict';

	var __ = window.wp.i18n.__;

	// A test's error in its result line: WordPress's message, or that none came.
	function testFailed( result, error ) {
		result.classList.add( 'is-error' );
		result.textContent =
			error && error.message
				? error.message
				: __( 'The test failed without an answer from WordPress.', 'automationtools-ai' );
	}

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
				testFailed( result, error );
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
				testFailed( result, error );
			} )
			.finally( function () {
				button.disabled = false;
			} );
	}

	function element( tag, className, text ) {
		var node = document.createElement( tag );
		if ( className ) {
			node.className = className;
		}
		if ( undefined !== text ) {
			node.textContent = text;
		}
		return node;
	}

	function failure( error ) {
		return error && error.message
			? error.message
			: __( 'WordPress gave no answer.', 'automationtools-ai' );
	}

	// "Find feeds": the feeds of the typed address, to choose one; choosing fills the address field.
	function findFeeds( button, field, place ) {
		button.disabled = true;
		place.replaceChildren( element( 'p', 'atai-working', __( 'Looking for feeds at this address...', 'automationtools-ai' ) ) );
		window.wp
			.apiFetch( { path: '/atai/v1/discover', method: 'POST', data: { url: field.value.trim() } } )
			.then( function ( found ) {
				place.replaceChildren();
				if ( ! found.feeds.length ) {
					place.appendChild( element( 'p', 'atai-error', found.error ? found.error.message : '' ) );
					return;
				}
				var list = element( 'fieldset', 'atai-candidates' );
				list.appendChild( element( 'legend', '', __( 'Feeds found at this address:', 'automationtools-ai' ) ) );
				found.feeds.forEach( function ( feed, index ) {
					var line = element( 'p' );
					var label = element( 'label' );
					var radio = element( 'input' );
					radio.type = 'radio';
					radio.name = 'candidate';
					radio.value = feed.url;
					radio.id = 'atai-candidate-' + index;
					radio.disabled = null !== feed.added;
					radio.addEventListener( 'change', function () {
						field.value = feed.url;
					} );
					label.appendChild( radio );
					label.appendChild( document.createTextNode( ' ' ) );
					label.appendChild( element( 'strong', '', feed.title || feed.url ) );
					label.appendChild( document.createTextNode( ' ' ) );
					label.appendChild( element( 'span', 'atai-url', feed.url ) );
					label.appendChild( document.createTextNode( ' (' + feed.format_label + ', ' + feed.entries_total + ')' ) );
					line.appendChild( label );
					if ( null !== feed.added ) {
						line.appendChild( element( 'em', '', ' ' + __( 'already added', 'automationtools-ai' ) + ' (#' + feed.added + ')' ) );
					}
					list.appendChild( line );
				} );
				place.appendChild( list );
				if ( 1 === found.feeds.length && null === found.feeds[ 0 ].added ) {
					field.value = found.feeds[ 0 ].url;
					list.querySelector( 'input' ).checked = true;
				}
			} )
			.catch( function ( error ) {
				place.replaceChildren( element( 'p', 'atai-error', failure( error ) ) );
			} )
			.finally( function () {
				button.disabled = false;
			} );
	}

	// The form's values as the preview route takes them: lists one entry a line, the last value of a name.
	function formValues( form, names ) {
		var values = {};
		new window.FormData( form ).forEach( function ( value, name ) {
			values[ name ] = value;
		} );
		form.querySelectorAll( 'textarea[data-list]' ).forEach( function ( area ) {
			values[ area.name ] = area.value.split( /\r?\n/ ).map( function ( line ) {
				return line.trim();
			} ).filter( Boolean );
		} );
		var data = { url: values.url };
		names.forEach( function ( name ) {
			if ( Object.prototype.hasOwnProperty.call( values, name ) ) {
				data[ name ] = values[ name ];
			}
		} );
		return data;
	}

	function previewEntry( entry ) {
		var article = element( 'article', 'atai-preview-entry' );
		article.appendChild( element( 'h3', '', entry.title ) );
		if ( entry.image ) {
			var image = element( 'img' );
			image.src = entry.image.url;
			image.alt = entry.image.alt;
			image.loading = 'lazy';
			article.appendChild( image );
		}
		article.appendChild( element( 'p', 'atai-preview-text', entry.text ) );
		article.appendChild( element( 'p', 'atai-preview-date', entry.date ) );
		var source = element( 'div', 'atai-preview-source' );
		source.innerHTML = entry.source_line; // HTML made by WordPress (wp_kses_post) from the source link.
		article.appendChild( source );
		if ( entry.held ) {
			article.appendChild( element( 'p', 'atai-error',
				__( 'This post would wait for review:', 'automationtools-ai' ) + ' ' + entry.findings.join( ' ' ) ) );
		}
		if ( entry.usage ) {
			var cost = entry.usage.cost ? ', ' + entry.usage.cost : '';
			article.appendChild( element( 'p', 'atai-preview-usage',
				window.wp.i18n.sprintf( __( 'Written by %1$s: %2$d tokens in, %3$d out%4$s.', 'automationtools-ai' ),
					entry.model, entry.usage.prompt_tokens, entry.usage.completion_tokens, cost ) ) );
		}
		return article;
	}

	function showPreview( preview, place, rewrite ) {
		place.replaceChildren();
		if ( preview.error ) {
			place.appendChild( element( 'p', 'atai-error', preview.error ) );
			return;
		}
		if ( ! rewrite ) {
			place.appendChild( element( 'p', 'atai-preview-feed',
				window.wp.i18n.sprintf( __( '%1$s: %2$s, %3$d entries. The first ones, as they would be posted:', 'automationtools-ai' ),
					preview.title || preview.url, preview.format, preview.entries_total ) ) );
		} else if ( 'ai' !== preview.rewrite.mode ) {
			place.appendChild( element( 'p', 'atai-preview-feed', preview.rewrite.reason ) );
		}
		preview.entries.forEach( function ( entry ) {
			place.appendChild( previewEntry( entry ) );
		} );
		preview.failed.forEach( function ( item ) {
			place.appendChild( element( 'p', 'atai-error', ( item.title || item.link ) + ': ' + item.message ) );
		} );
		if ( preview.skipped.length ) {
			var skipped = element( 'ul', 'atai-preview-skipped' );
			preview.skipped.forEach( function ( item ) {
				skipped.appendChild( element( 'li', '', ( item.title || item.link ) + ': ' + item.reason ) );
			} );
			place.appendChild( element( 'p', '', __( 'Left out by the filters:', 'automationtools-ai' ) ) );
			place.appendChild( skipped );
		}
	}

	// "Preview": what the feed would post, then on request the model's rewrite of one entry.
	function preview( button, form, place, rewrite ) {
		button.disabled = true;
		var target = rewrite ? element( 'div', 'atai-preview-rewrite' ) : place;
		if ( rewrite ) {
			place.appendChild( target );
		}
		target.replaceChildren( element( 'p', 'atai-working', rewrite
			? __( 'The model is rewriting the first entry...', 'automationtools-ai' )
			: __( 'Reading the feed...', 'automationtools-ai' ) ) );
		var data = formValues( form, document.getElementById( 'atai-preview' ).dataset.options.split( ',' ) );
		data.rewrite = rewrite;
		window.wp
			.apiFetch( { path: '/atai/v1/preview', method: 'POST', data: data } )
			.then( function ( answer ) {
				showPreview( answer, target, rewrite );
				if ( ! rewrite && ! answer.error && answer.entries.length && '1' === button.dataset.ai ) {
					var more = element( 'button', 'button', __( 'Preview the rewrite of the first entry (one model call, paid for)', 'automationtools-ai' ) );
					more.type = 'button';
					more.id = 'atai-preview-rewrite';
					more.addEventListener( 'click', function () {
						preview( more, form, place, true );
					} );
					place.appendChild( more );
				}
			} )
			.catch( function ( error ) {
				target.replaceChildren( element( 'p', 'atai-error', failure( error ) ) );
			} )
			.finally( function () {
				button.disabled = false;
			} );
	}

	document.addEventListener( 'DOMContentLoaded', function () {
		var field = document.getElementById( 'atai-url' );
		var finder = document.getElementById( 'atai-find-feeds' );
		if ( field && finder ) {
			finder.addEventListener( 'click', function () {
				findFeeds( finder, field, document.getElementById( 'atai-discovery' ) );
			} );
			document.querySelectorAll( 'input[name="candidate"]' ).forEach( function ( radio ) {
				radio.addEventListener( 'change', function () {
					field.value = radio.value;
				} );
			} );
		}
		var previewer = document.getElementById( 'atai-preview' );
		if ( previewer ) {
			previewer.addEventListener( 'click', function () {
				preview( previewer, previewer.form, document.getElementById( 'atai-preview-result' ), false );
			} );
		}

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
